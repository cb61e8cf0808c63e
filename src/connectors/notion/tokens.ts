import { AuthError, KeepsyncError } from '../../model/index.js';
import type { Store } from '../../store/index.js';
import { registerOAuthConnection, tokenBroker } from '../support/index.js';
import type { NotionClient } from './client.js';

/** Hands out the current token and, for OAuth, a fresh one after a 401. */
export interface TokenSource {
  /** Names the credential without revealing it (keys the shared rate limiter). */
  readonly id: string;
  current(): Promise<string>;
  /**
   * A token newer than `stale`; throws AuthError when only a person can fix it.
   * Internal integration tokens cannot be refreshed.
   */
  refresh(stale: string): Promise<string>;
}

/** A public integration's OAuth client and where its tokens are kept. */
export interface NotionOAuthOptions {
  /** Names the authorization (`keepsync auth <connection>` stores its tokens under it). */
  readonly connection: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The store holding the tokens, encrypted; a function is called once, on first use. */
  readonly store: Store | (() => Store | Promise<Store>);
}

export function staticTokens(token: string): TokenSource {
  return {
    id: `notion:token:${fingerprint(token)}`,
    current: async () => token,
    refresh: async () => {
      throw new AuthError('Notion refused the integration token (401 unauthorized)');
    },
  };
}

/** Secret names under which a connection's tokens are stored. */
export function secretNames(connection: string): { access: string; refresh: string } {
  return {
    access: `notion:${connection}:access_token`,
    refresh: `notion:${connection}:refresh_token`,
  };
}

/** Refreshes in flight, one per connection, shared by every session of this process. */
const inflight = new Map<string, Promise<string>>();

function storeOpener(options: NotionOAuthOptions): () => Promise<Store> {
  let store: Promise<Store> | undefined;
  return () => {
    store ??= Promise.resolve(
      typeof options.store === 'function' ? options.store() : options.store,
    );
    return store;
  };
}

function reauthorizeHint(connection: string): string {
  return `run \`keepsync auth ${connection}\``;
}

/** One refresh-token grant; a refused grant is an AuthError naming what the person must do. */
async function refreshGrant(
  options: NotionOAuthOptions,
  client: NotionClient,
  refreshToken: string,
): Promise<{ accessToken: string; refreshToken: string | undefined }> {
  try {
    const tokens = await client.token(
      { clientId: options.clientId, clientSecret: options.clientSecret },
      { grant_type: 'refresh_token', refresh_token: refreshToken },
    );
    return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? undefined };
  } catch (error) {
    const status = (error as { status?: number }).status ?? 0;
    if (status === 400 || status === 401) {
      throw new AuthError(
        `Notion refused to refresh the token of connection ${options.connection} (${status}: revoked or expired); ${reauthorizeHint(options.connection)}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Makes the connection refreshable by a token owner outside this process (the Temporal
 * engine's token workflow). Called when the pipeline is defined, so every worker that loaded
 * the config can run the owner's refresh.
 */
export function registerNotionOAuth(
  options: NotionOAuthOptions,
  client: () => Promise<NotionClient>,
): void {
  const openStore = storeOpener(options);
  const names = secretNames(options.connection);
  registerOAuthConnection({
    provider: 'notion',
    connection: options.connection,
    refresh: async (refreshToken) => refreshGrant(options, await client(), refreshToken),
    async load() {
      const store = await openStore();
      const accessToken = await store.getSecret(names.access);
      return accessToken
        ? { accessToken, refreshToken: await store.getSecret(names.refresh) }
        : null;
    },
  });
}

/**
 * OAuth tokens from the store. A refresh is serialised per connection: callers that hit a 401
 * together share one refresh, so a rotating refresh token is never spent twice. When an
 * engine owns the tokens (a broker is installed), they come from it instead.
 */
export function oauthTokens(options: NotionOAuthOptions, client: NotionClient): TokenSource {
  const names = secretNames(options.connection);
  const openStore = storeOpener(options);
  const reauthorize = reauthorizeHint(options.connection);

  async function refreshNow(stale: string): Promise<string> {
    const secrets = await openStore();
    const stored = await secrets.getSecret(names.access);
    // Another session already refreshed since this token was handed out.
    if (stored && stored !== stale) return stored;
    const refreshToken = await secrets.getSecret(names.refresh);
    if (!refreshToken) {
      throw new AuthError(
        `Notion connection ${options.connection} has no refresh token; ${reauthorize}`,
      );
    }
    const tokens = await refreshGrant(options, client, refreshToken);
    // The new refresh token is stored before the access token, so a crash in between
    // leaves the next refresh able to run.
    if (tokens.refreshToken) await secrets.putSecret(names.refresh, tokens.refreshToken);
    await secrets.putSecret(names.access, tokens.accessToken);
    return tokens.accessToken;
  }

  return {
    id: `notion:oauth:${options.connection}`,
    async current() {
      const broker = tokenBroker();
      if (broker) return broker.current('notion', options.connection);
      const token = await (await openStore()).getSecret(names.access);
      if (!token) {
        throw new AuthError(
          `Notion connection ${options.connection} is not authorized yet; ${reauthorize}`,
        );
      }
      return token;
    },
    refresh(stale) {
      // The owner serialises refreshes across every worker, not only this process.
      const broker = tokenBroker();
      if (broker) return broker.refresh('notion', options.connection, stale);
      let pending = inflight.get(options.connection);
      if (!pending) {
        pending = refreshNow(stale).finally(() => inflight.delete(options.connection));
        inflight.set(options.connection, pending);
      }
      return pending;
    },
  };
}

/** Stores the tokens of a new authorization (the `keepsync auth` flow). */
export async function saveTokens(
  store: Store,
  connection: string,
  tokens: { access_token: string; refresh_token?: string | null },
): Promise<void> {
  const names = secretNames(connection);
  if (tokens.refresh_token) await store.putSecret(names.refresh, tokens.refresh_token);
  else await store.deleteSecret(names.refresh);
  await store.putSecret(names.access, tokens.access_token);
}

/** A short non-reversible tag of a token, so limiters can be keyed without keeping it. */
function fingerprint(token: string): string {
  let hash = 2166136261;
  for (let index = 0; index < token.length; index++) {
    hash = Math.imul(hash ^ token.charCodeAt(index), 16777619);
  }
  return (hash >>> 0).toString(16);
}

export function checkConnectionName(connection: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(connection)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected a connection name of letters, digits, '_', '.' or '-', got ${JSON.stringify(connection)}`,
    );
  }
  return connection;
}
