import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { KeepsyncError } from '../model/index.js';
import { SyncHttpError } from './errors.js';
import type { SyncAuthOptions, SyncUser } from './options.js';
import { VerifiedTokens } from './verified-tokens.js';

export type Authenticate = (token: string | null, request?: Request) => Promise<SyncUser>;

const ANONYMOUS: SyncUser = Object.freeze({ id: 'anonymous', scope: 'public', claims: {} });

/** The bearer token of a request, or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1]!.trim() : null;
}

/** Compares a presented secret with the expected one in constant time. */
export function sameSecret(presented: string | null, expected: string): boolean {
  if (presented === null) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function claimText(payload: Record<string, unknown>, claim: string): string | null {
  const value = payload[claim];
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** Builds the one function every route and the WebSocket use to turn a token into a user. */
export function createAuthenticator(options: SyncAuthOptions | false): Authenticate {
  if (options === false) return async () => ANONYMOUS;
  const sources = [options.secret, options.jwksUrl, options.verify].filter(
    (value) => value !== undefined,
  );
  if (sources.length !== 1) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'Expected exactly one of `auth.secret`, `auth.jwksUrl` and `auth.verify` (or `auth: false`)',
    );
  }
  const actorClaim = options.actorClaim ?? 'sub';
  const scopeClaim = options.scopeClaim;

  if (options.verify) {
    const verify = options.verify;
    return async (token, request) => {
      let user: SyncUser | null | undefined;
      try {
        user = await verify({ token, request });
      } catch (error) {
        throw new SyncHttpError(401, 'AUTH_FAILED', 'The credentials were refused', {
          cause: error,
        });
      }
      if (!user) {
        throw token === null
          ? new SyncHttpError(
              401,
              'AUTH_REQUIRED',
              'Send a bearer token: Authorization: Bearer <jwt>',
            )
          : new SyncHttpError(401, 'AUTH_FAILED', 'The credentials were refused');
      }
      if (typeof user.id !== 'string' || typeof user.scope !== 'string' || !user.scope) {
        throw new KeepsyncError(
          'CONFIG_INVALID',
          'Expected `auth.verify` to return { id: string, scope: string, claims } or null',
        );
      }
      return user;
    };
  }

  const key =
    options.secret !== undefined
      ? typeof options.secret === 'string'
        ? new TextEncoder().encode(options.secret)
        : options.secret
      : createRemoteJWKSet(new URL(String(options.jwksUrl)));
  if (options.secret !== undefined && (key as Uint8Array).length < 16) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'Expected `auth.secret` to be at least 16 bytes long',
    );
  }
  const algorithms = options.algorithms ?? (options.secret !== undefined ? ['HS256'] : undefined);
  const clockTolerance = options.clockToleranceSec ?? 5;
  const verifiedTokens = new VerifiedTokens();

  return async (token) => {
    if (token === null) {
      throw new SyncHttpError(
        401,
        'AUTH_REQUIRED',
        'Send a bearer token: Authorization: Bearer <jwt>',
      );
    }
    const known = verifiedTokens.get(token, Date.now());
    if (known) return known;
    let payload: JWTPayload;
    try {
      const verified = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance,
        ...(options.requireExpiry ? { requiredClaims: ['exp'] } : {}),
      });
      payload = verified.payload;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new SyncHttpError(401, 'AUTH_EXPIRED', 'The token has expired; get a fresh one');
      }
      // The key set could not be fetched: not the caller's fault, so not a 401.
      if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) {
        throw new SyncHttpError(
          503,
          'AUTH_UNAVAILABLE',
          'The token could not be checked now; retry later',
          {
            cause: error,
          },
        );
      }
      const reason =
        error instanceof joseErrors.JWTClaimValidationFailed
          ? `claim \`${error.claim}\` ${error.reason === 'check_failed' ? 'is not as expected' : error.reason}`
          : 'bad signature or malformed token';
      throw new SyncHttpError(401, 'AUTH_FAILED', `The token was refused: ${reason}`, {
        cause: error,
      });
    }
    const claims = payload as Record<string, unknown>;
    const id = claimText(claims, actorClaim);
    if (id === null) {
      throw new SyncHttpError(401, 'AUTH_FAILED', `The token has no \`${actorClaim}\` claim`);
    }
    const scope = scopeClaim ? claimText(claims, scopeClaim) : id;
    if (scope === null) {
      throw new SyncHttpError(401, 'AUTH_FAILED', `The token has no \`${scopeClaim}\` claim`);
    }
    const user = { id, scope, claims };
    verifiedTokens.set(token, user, Date.now(), payload.exp, clockTolerance);
    return user;
  };
}
