import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { AuthError, isAuthError } from '../../../model/index.js';
import type { Store } from '../../../store/index.js';
import { mcpSecretNames, storedOAuthProvider } from './stored-provider.js';

/** Hands out the bearer token of an MCP connection and, for OAuth, a fresh one after a 401. */
export interface McpCredential {
  /** Names the credential without revealing it (keys the shared rate limiter). */
  readonly id: string;
  current(): Promise<string>;
  /**
   * A token newer than `stale`; throws AuthError when only a person can fix it. The 401's
   * `resource_metadata` (RFC 9728), when it had one, points discovery at the right document.
   */
  refresh(stale: string, hint?: { resourceMetadataUrl?: URL | undefined }): Promise<string>;
}

/** A fixed token (an API key the service issued): a 401 cannot be fixed by keepsync. */
export function staticMcpToken(token: string, label: string): McpCredential {
  return {
    id: `mcp:token:${label}`,
    current: async () => token,
    refresh: async () => {
      throw new AuthError(`The MCP server refused the token of ${label} (401)`);
    },
  };
}

export interface McpOAuthOptions {
  /** The name `keepsync auth mcp <url> --connection <name>` stored the tokens under. */
  readonly connection: string;
  readonly store: Store;
}

/** Refreshes in flight per connection: a rotating refresh token must never be spent twice. */
const inflight = new Map<string, Promise<string>>();

/**
 * OAuth tokens from the store, refreshed through the SDK's `auth()` (discovery, then the
 * refresh-token grant) over the guarded fetch. Refreshes of one connection are serialised in
 * the process, and the rotated refresh token is saved before the access token is used.
 */
export function oauthMcpCredential(
  options: McpOAuthOptions,
  serverUrl: string,
  fetchFn: typeof fetch,
): McpCredential {
  const names = mcpSecretNames(options.connection);
  const reauthorize = `run \`keepsync auth mcp ${serverUrl} --connection ${options.connection}\``;
  const stored = async () => {
    const text = await options.store.getSecret(names.tokens);
    return text ? (JSON.parse(text) as OAuthTokens) : undefined;
  };

  async function refreshNow(stale: string, resourceMetadataUrl: URL | undefined): Promise<string> {
    const before = await stored();
    if (before && before.access_token !== stale) return before.access_token;
    if (!before?.refresh_token) {
      throw new AuthError(
        `MCP connection ${options.connection} has no refresh token; ${reauthorize}`,
      );
    }
    const provider = storedOAuthProvider({ connection: options.connection, store: options.store });
    try {
      await auth(provider, { serverUrl, fetchFn, resourceMetadataUrl });
    } catch (error) {
      if (isAuthError(error)) throw error;
      if (error instanceof OAuthError) {
        throw new AuthError(
          `The authorization server refused to refresh MCP connection ${options.connection} (${(error as Error).message}); ${reauthorize}`,
          { cause: error },
        );
      }
      throw error;
    }
    const after = await stored();
    if (!after)
      throw new AuthError(`MCP connection ${options.connection} lost its tokens; ${reauthorize}`);
    return after.access_token;
  }

  return {
    id: `mcp:oauth:${options.connection}`,
    async current() {
      const tokens = await stored();
      if (!tokens) {
        throw new AuthError(
          `MCP connection ${options.connection} is not authorized yet; ${reauthorize}`,
        );
      }
      return tokens.access_token;
    },
    refresh(stale, hint) {
      let pending = inflight.get(options.connection);
      if (!pending) {
        pending = refreshNow(stale, hint?.resourceMetadataUrl).finally(() =>
          inflight.delete(options.connection),
        );
        inflight.set(options.connection, pending);
      }
      return pending;
    },
  };
}
