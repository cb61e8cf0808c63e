import { auth, extractResourceMetadataUrl } from '@modelcontextprotocol/sdk/client/auth.js';
import { AuthError } from '../../../model/index.js';
import type { Store } from '../../../store/index.js';
import { type EndpointPolicy, guardedFetch } from './endpoint-guard.js';
import { mcpSecretNames, storedOAuthProvider } from './stored-provider.js';

export interface AuthorizeMcpOptions extends EndpointPolicy {
  readonly connection: string;
  readonly store: Store;
  /** The loopback URL the authorization server redirects the browser to. */
  readonly redirectUrl: string;
  /** The CSRF state the redirect must carry back. */
  readonly state: string;
  readonly scope?: string | undefined;
  /** Shows the consent URL to the person. */
  onAuthorizationUrl(url: URL): void;
  /** Resolves with the code of the redirect (the loopback listener). */
  waitForCode(): Promise<string>;
}

/**
 * The interactive OAuth 2.1 flow of `keepsync auth mcp`: probes the server for its 401 and
 * `resource_metadata` (RFC 9728, else the well-known path), then lets the SDK discover the
 * authorization server (RFC 8414), register keepsync (RFC 7591), send the person to consent
 * with PKCE S256 and exchange the code. Every endpoint passes the SSRF guard; the client and
 * the tokens end up encrypted in the store.
 */
export async function authorizeMcp(options: AuthorizeMcpOptions): Promise<void> {
  const fetchFn = guardedFetch(options);
  const serverUrl = String(options.serverUrl);
  const provider = storedOAuthProvider({
    connection: options.connection,
    store: options.store,
    redirectUrl: options.redirectUrl,
    state: options.state,
    scope: options.scope,
    onAuthorizationUrl: options.onAuthorizationUrl,
  });
  // A new authorization replaces the old one. The registered client is kept unless it was
  // registered for another redirect (another port): then keepsync registers again.
  const names = mcpSecretNames(options.connection);
  await options.store.deleteSecret(names.tokens);
  const client = await options.store.getSecret(names.client);
  const uris = client
    ? ((JSON.parse(client) as { redirect_uris?: string[] }).redirect_uris ?? [])
    : [];
  if (client && !uris.includes(options.redirectUrl)) await options.store.deleteSecret(names.client);
  const resourceMetadataUrl = await probe(serverUrl, fetchFn);
  const first = await auth(provider, { serverUrl, resourceMetadataUrl, fetchFn });
  if (first === 'AUTHORIZED') return;
  const code = await options.waitForCode();
  const second = await auth(provider, {
    serverUrl,
    resourceMetadataUrl,
    authorizationCode: code,
    fetchFn,
  });
  if (second !== 'AUTHORIZED') {
    throw new AuthError('The authorization server did not issue tokens for the code');
  }
  await options.store.deleteSecret(names.verifier);
}

/** An unauthenticated initialize: its 401 names the protected-resource metadata. */
async function probe(serverUrl: string, fetchFn: typeof fetch): Promise<URL | undefined> {
  const response = await fetchFn(serverUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'keepsync', version: '1' },
      },
    }),
  });
  await response.body?.cancel();
  return response.status === 401 ? extractResourceMetadataUrl(response) : undefined;
}
