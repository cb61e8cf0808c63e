import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { AuthError, KeepsyncError } from '../../../model/index.js';
import type { Store } from '../../../store/index.js';

/** Secret names of one MCP connection; every value is encrypted by the store's secret box. */
export function mcpSecretNames(connection: string) {
  return {
    client: `mcp:${connection}:client`,
    tokens: `mcp:${connection}:tokens`,
    verifier: `mcp:${connection}:code_verifier`,
  };
}

export function checkMcpConnectionName(connection: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(connection)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected an MCP connection name of letters, digits, '_', '.' or '-', got ${JSON.stringify(connection)}`,
    );
  }
  return connection;
}

export interface StoredProviderOptions {
  readonly connection: string;
  readonly store: Store;
  /** The loopback redirect of `keepsync auth mcp`; absent in a pipeline, which cannot ask a person. */
  readonly redirectUrl?: string | undefined;
  /** Told the consent URL when a person must authorize. */
  readonly onAuthorizationUrl?: ((url: URL) => void) | undefined;
  readonly state?: string | undefined;
  readonly scope?: string | undefined;
}

/**
 * The SDK's OAuth client provider over keepsync's store: the registered client (RFC 7591), the
 * tokens and the PKCE verifier are kept as encrypted secrets, so the SDK's own discovery,
 * registration, PKCE and refresh code does the protocol work. Without a redirect URL (a
 * pipeline run) an authorization that needs a person is an AuthError naming the command.
 */
export function storedOAuthProvider(options: StoredProviderOptions): OAuthClientProvider {
  const names = mcpSecretNames(options.connection);
  const { store } = options;
  const readJson = async <T>(name: string): Promise<T | undefined> => {
    const text = await store.getSecret(name);
    return text ? (JSON.parse(text) as T) : undefined;
  };
  // Dynamic registration needs a redirect URI even when a pipeline only refreshes.
  const redirectUris = [options.redirectUrl ?? 'http://127.0.0.1:8788/callback'];
  const metadata: OAuthClientMetadata = {
    client_name: 'keepsync',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...(options.scope ? { scope: options.scope } : {}),
  };
  return {
    get redirectUrl() {
      return redirectUris[0];
    },
    get clientMetadata() {
      return metadata;
    },
    ...(options.state ? { state: () => options.state as string } : {}),
    clientInformation: () => readJson<OAuthClientInformationMixed>(names.client),
    saveClientInformation: (info) => store.putSecret(names.client, JSON.stringify(info)),
    tokens: () => readJson<OAuthTokens>(names.tokens),
    saveTokens: (tokens) => store.putSecret(names.tokens, JSON.stringify(tokens)),
    saveCodeVerifier: (verifier) => store.putSecret(names.verifier, verifier),
    async codeVerifier() {
      const verifier = await store.getSecret(names.verifier);
      if (!verifier) {
        throw new AuthError(
          `MCP connection ${options.connection} has no PKCE verifier; run \`keepsync auth mcp\` again`,
        );
      }
      return verifier;
    },
    redirectToAuthorization(url) {
      if (!options.onAuthorizationUrl) {
        throw new AuthError(
          `MCP connection ${options.connection} needs a person to authorize it again (its refresh token was refused); run \`keepsync auth mcp <url> --connection ${options.connection}\``,
        );
      }
      options.onAuthorizationUrl(url);
    },
    async invalidateCredentials(scope) {
      if (scope === 'all' || scope === 'client') await store.deleteSecret(names.client);
      if (scope === 'all' || scope === 'tokens') await store.deleteSecret(names.tokens);
      if (scope === 'all' || scope === 'verifier') await store.deleteSecret(names.verifier);
    },
  };
}
