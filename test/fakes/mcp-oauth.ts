import { createHash, randomBytes } from 'node:crypto';
import { FakeServer } from './fake-server.js';
import { FakeService } from './fake-service.js';

interface Client {
  readonly redirectUris: readonly string[];
}

interface Grant {
  readonly clientId: string;
  readonly family: string;
  readonly codeChallenge: string;
  readonly redirectUri: string;
}

/**
 * An OAuth 2.1 authorization server for MCP as the spec asks for one: RFC 8414 metadata,
 * Dynamic Client Registration (RFC 7591, public clients), the authorization endpoint with PKCE
 * S256 only (consent is granted at once, as if the person clicked Allow), and rotating refresh
 * tokens: each refresh token works once, and presenting a spent one revokes its whole family.
 */
export class FakeMcpAuthServer extends FakeService {
  readonly server: FakeServer;
  readonly clients = new Map<string, Client>();
  readonly #codes = new Map<string, Grant>();
  readonly #access = new Map<string, string>();
  /** refresh token -> family, and whether it was spent. */
  readonly #refresh = new Map<string, { family: string; clientId: string; spent: boolean }>();
  readonly #revokedFamilies = new Set<string>();
  refreshes = 0;
  reuses = 0;
  /** Metadata overrides (a hostile server pointing its token endpoint elsewhere). */
  metadataOverride: Record<string, string> = {};

  constructor() {
    super();
    this.server = new FakeServer({
      name: 'mcp-oauth',
      errorBody: (status, code, message) => ({ error: code, error_description: message, status }),
    });
    this.server.route('GET', '/.well-known/oauth-authorization-server', () => ({
      status: 200,
      body: {
        issuer: this.url,
        authorization_endpoint: `${this.url}/authorize`,
        token_endpoint: `${this.url}/token`,
        registration_endpoint: `${this.url}/register`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
        ...this.metadataOverride,
      },
    }));
    this.server.route('POST', '/register', ({ body }) => {
      const metadata = body as { redirect_uris?: string[] };
      if (!metadata?.redirect_uris?.length) {
        return {
          status: 400,
          body: { error: 'invalid_redirect_uri', error_description: 'redirect_uris required' },
        };
      }
      const clientId = `client-${randomBytes(6).toString('hex')}`;
      this.clients.set(clientId, { redirectUris: metadata.redirect_uris });
      return {
        status: 201,
        body: {
          ...metadata,
          client_id: clientId,
          client_id_issued_at: Math.floor(Date.now() / 1000),
        },
      };
    });
    this.server.route('GET', '/authorize', ({ query }) => {
      const client = this.clients.get(query.get('client_id') ?? '');
      const redirectUri = query.get('redirect_uri') ?? '';
      if (!client?.redirectUris.includes(redirectUri)) {
        return {
          status: 400,
          body: { error: 'invalid_request', error_description: 'unknown client or redirect_uri' },
        };
      }
      if (query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) {
        return {
          status: 400,
          body: { error: 'invalid_request', error_description: 'PKCE S256 required' },
        };
      }
      const code = randomBytes(12).toString('hex');
      this.#codes.set(code, {
        clientId: query.get('client_id')!,
        family: randomBytes(6).toString('hex'),
        codeChallenge: query.get('code_challenge')!,
        redirectUri,
      });
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      const state = query.get('state');
      if (state) target.searchParams.set('state', state);
      return { status: 302, headers: { location: target.toString() } };
    });
    this.server.route('POST', '/token', ({ body }) => this.#token(body as Record<string, string>));
  }

  isValidAccessToken(token: string | undefined): boolean {
    const family = token === undefined ? undefined : this.#access.get(token);
    return family !== undefined && !this.#revokedFamilies.has(family);
  }

  /** Every access token issued so far stops working (they expired). */
  expireAccessTokens(): void {
    this.#access.clear();
  }

  #token(body: Record<string, string>) {
    const refuse = (error: string, description: string) => ({
      status: 400,
      body: { error, error_description: description },
    });
    if (body.grant_type === 'authorization_code') {
      const grant = this.#codes.get(body.code ?? '');
      if (!grant) return refuse('invalid_grant', 'unknown or used code');
      this.#codes.delete(body.code!);
      const challenge = createHash('sha256')
        .update(body.code_verifier ?? '')
        .digest('base64url');
      if (challenge !== grant.codeChallenge)
        return refuse('invalid_grant', 'PKCE verification failed');
      if (body.client_id !== grant.clientId || body.redirect_uri !== grant.redirectUri) {
        return refuse('invalid_grant', 'client or redirect_uri mismatch');
      }
      return { status: 200, body: this.#issue(grant.family, grant.clientId) };
    }
    if (body.grant_type === 'refresh_token') {
      const entry = this.#refresh.get(body.refresh_token ?? '');
      if (!entry || this.#revokedFamilies.has(entry.family)) {
        return refuse('invalid_grant', 'unknown or revoked refresh token');
      }
      if (entry.spent) {
        // A spent token presented again: stolen or raced. The whole family is revoked.
        this.reuses++;
        this.#revokedFamilies.add(entry.family);
        return refuse('invalid_grant', 'refresh token reuse detected');
      }
      entry.spent = true;
      this.refreshes++;
      return { status: 200, body: this.#issue(entry.family, entry.clientId) };
    }
    return refuse('unsupported_grant_type', String(body.grant_type));
  }

  #issue(family: string, clientId: string) {
    const accessToken = `at-${randomBytes(9).toString('hex')}`;
    const refreshToken = `rt-${randomBytes(9).toString('hex')}`;
    this.#access.set(accessToken, family);
    this.#refresh.set(refreshToken, { family, clientId, spent: false });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: refreshToken,
    };
  }
}
