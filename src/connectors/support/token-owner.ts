// OAuth connections a token owner outside the connector can refresh. A connector whose
// credential rotates registers its connection when its config is loaded; an engine that owns
// tokens elsewhere (the Temporal engine's token workflow) installs a broker, and the connector
// then asks the broker instead of refreshing in-process. Kept on globalThis: a config loaded
// from the package and an engine loaded from source must see one registry.

/** What one refresh returned. */
export interface RefreshedTokens {
  readonly accessToken: string;
  /** The rotated refresh token; absent when the provider does not rotate. */
  readonly refreshToken?: string | undefined;
  /** Seconds the access token lives, when the provider says. */
  readonly expiresInSec?: number | undefined;
}

/** The tokens `keepsync auth` stored for a connection. */
export interface StoredTokens {
  readonly accessToken: string;
  readonly refreshToken: string | null;
}

export interface OAuthConnection {
  /** e.g. `notion`. */
  readonly provider: string;
  /** The name the person authorized under (`keepsync auth <connection>`). */
  readonly connection: string;
  /** One refresh-token grant; throws AuthError when only a person can fix it. */
  refresh(refreshToken: string): Promise<RefreshedTokens>;
  /** The tokens of the last authorization, to hand to a new owner. */
  load(): Promise<StoredTokens | null>;
}

/** Serves a connection's tokens from the owner, so refreshes are serialised across workers. */
export interface TokenBroker {
  current(provider: string, connection: string): Promise<string>;
  /** A token newer than `stale`; refreshes only if `stale` is still the current one. */
  refresh(provider: string, connection: string, stale: string): Promise<string>;
}

interface Registry {
  connections: Map<string, OAuthConnection>;
  broker: TokenBroker | undefined;
}

const REGISTRY = Symbol.for('keepsync.oauth-connections');

function registry(): Registry {
  const global = globalThis as { [REGISTRY]?: Registry };
  global[REGISTRY] ??= { connections: new Map(), broker: undefined };
  return global[REGISTRY];
}

export function oauthConnectionId(provider: string, connection: string): string {
  return `${provider}:${connection}`;
}

/** Called by a connector's factory: the last registration of a connection wins. */
export function registerOAuthConnection(connection: OAuthConnection): void {
  registry().connections.set(
    oauthConnectionId(connection.provider, connection.connection),
    connection,
  );
}

export function oauthConnection(provider: string, connection: string): OAuthConnection | undefined {
  return registry().connections.get(oauthConnectionId(provider, connection));
}

export function oauthConnections(): OAuthConnection[] {
  return [...registry().connections.values()];
}

/** Routes every registered connection's tokens through `broker`; returns the uninstaller. */
export function installTokenBroker(broker: TokenBroker): () => void {
  const state = registry();
  state.broker = broker;
  return () => {
    if (state.broker === broker) state.broker = undefined;
  };
}

export function tokenBroker(): TokenBroker | undefined {
  return registry().broker;
}
