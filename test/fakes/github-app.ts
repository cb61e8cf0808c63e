import { createPublicKey, verify } from 'node:crypto';
import type { FakeRequest, FakeResponse } from './fake-server.js';

/**
 * The installation tokens a fake GitHub App mints: each lives `ttlMs` (GitHub: an hour) and
 * is refused with 401 once its `expires_at` has passed.
 */
export class InstallationTokens {
  readonly #ttlMs: number;
  /** When each minted token expires (epoch ms). */
  readonly #expiresAt = new Map<string, number>();

  constructor(ttlMs = 3_600_000) {
    this.#ttlMs = ttlMs;
  }

  /** The answer of `POST /app/installations/{id}/access_tokens`. */
  mint(): FakeResponse {
    const token = `ghs_installation_${this.#expiresAt.size + 1}`;
    const expiresAt = Date.now() + this.#ttlMs;
    this.#expiresAt.set(token, expiresAt);
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(expiresAt).toISOString(),
        permissions: { metadata: 'read' },
        repository_selection: 'all',
      },
    };
  }

  isLive(token: string): boolean {
    return (this.#expiresAt.get(token) ?? 0) > Date.now();
  }

  revoke(token: string): void {
    if (this.#expiresAt.has(token)) this.#expiresAt.set(token, 0);
  }

  get newestExpiresAt(): number | undefined {
    return [...this.#expiresAt.values()].at(-1);
  }
}

/** Checks an app JWT (RS256) the way GitHub does: signature, issuer, and a live time window. */
export function verifyAppJwt(request: FakeRequest, appId: number, publicKeyPem: string): boolean {
  const token = request.token;
  if (!token) return false;
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return false;
  const valid = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey(publicKeyPem),
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    iss: number | string;
    exp: number;
    iat: number;
  };
  const now = Math.floor(Date.now() / 1000);
  return String(claims.iss) === String(appId) && claims.exp > now && claims.iat <= now + 60;
}
