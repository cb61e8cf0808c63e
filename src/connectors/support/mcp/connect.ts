import { KeepsyncError } from '../../../model/index.js';
import { rateLimiterFor } from '../../../net/index.js';
import type { Store } from '../../../store/index.js';
import type { SessionContext } from '../../../sync/index.js';
import { type McpCredential, oauthMcpCredential, staticMcpToken } from './credential.js';
import { type EndpointPolicy, guardedFetch } from './endpoint-guard.js';
import { createMcpToolClient, type McpToolClient } from './tool-client.js';

/** How keepsync authenticates to an MCP server. */
export type McpAuth =
  /** A token the service issued (an API key or a personal access token). */
  | { readonly token: string }
  /** OAuth 2.1 tokens `keepsync auth mcp <url> --connection <name>` stored, refreshed as needed. */
  | { readonly connection: string; readonly store: Store | (() => Store | Promise<Store>) };

export interface McpConnectionOptions {
  /** The Streamable HTTP endpoint, e.g. `https://mcp.notion.com/mcp`. */
  readonly url: string;
  readonly auth: McpAuth;
  /** Hosts besides the server's registrable domain that OAuth discovery may lead to. */
  readonly allowHosts?: readonly string[] | undefined;
  /** Plain-http loopback servers (tests, local fakes only). @default false */
  readonly allowLoopback?: boolean | undefined;
  /** Requests per second on this credential. @default 3 */
  readonly requestsPerSecond?: number | undefined;
  /** @default 1 */
  readonly burst?: number | undefined;
  /** @default 2 */
  readonly concurrency?: number | undefined;
  /** @default 5 */
  readonly retries?: number | undefined;
  /** @default 250 */
  readonly minDelayMs?: number | undefined;
  /** @default 60_000 */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onRateLimitWait?: ((ms: number) => void) | undefined;
}

/** Checks the options a connector was given, before anything connects. */
export function checkMcpOptions(connector: string, options: Partial<McpConnectionOptions>): void {
  if (!options.url)
    throw new KeepsyncError('CONFIG_INVALID', `${connector} MCP mode needs \`url\``);
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `${connector} MCP mode: \`url\` ${JSON.stringify(options.url)} is not a URL`,
    );
  }
  if (url.protocol !== 'https:' && !options.allowLoopback) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `${connector} MCP mode: \`url\` must be https, got ${url.protocol}`,
    );
  }
  const auth = options.auth as Record<string, unknown> | undefined;
  if (!auth || (typeof auth.token !== 'string' && typeof auth.connection !== 'string')) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `${connector} MCP mode needs \`auth\`: { token } or { connection, store }`,
    );
  }
}

/** Opens a paced, retried, guarded tool client on one MCP server. */
export async function connectMcp(options: McpConnectionOptions): Promise<McpToolClient> {
  const policy: EndpointPolicy = {
    serverUrl: options.url,
    allowHosts: options.allowHosts,
    allowLoopback: options.allowLoopback,
  };
  const fetchFn = guardedFetch(policy);
  const credential = await credentialFor(options, fetchFn);
  const limiter = rateLimiterFor(`${credential.id}@${options.url}`, {
    requestsPerSecond: options.requestsPerSecond ?? 3,
    burst: options.burst ?? 1,
    concurrency: options.concurrency ?? 2,
  });
  return createMcpToolClient({
    url: options.url,
    credential,
    limiter,
    fetch: fetchFn,
    retries: options.retries,
    minDelayMs: options.minDelayMs,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onRateLimitWait: options.onRateLimitWait,
  });
}

/** The part of a connector's options that says how to reach its MCP server. */
export type McpConnectorOptions = Partial<
  Pick<
    McpConnectionOptions,
    | 'url'
    | 'auth'
    | 'allowHosts'
    | 'allowLoopback'
    | 'requestsPerSecond'
    | 'concurrency'
    | 'retries'
    | 'minDelayMs'
  >
>;

/**
 * Checks a connector's MCP options, then connects for one session: the session's signal stops
 * the client and its rate-limit waits are reported to the session's telemetry.
 */
export async function connectMcpSession(
  connector: string,
  defaultUrl: string,
  options: McpConnectorOptions,
  session: SessionContext,
): Promise<McpToolClient> {
  const url = options.url ?? defaultUrl;
  checkMcpOptions(connector, { ...options, url });
  return connectMcp({
    url,
    auth: options.auth as McpAuth,
    allowHosts: options.allowHosts,
    allowLoopback: options.allowLoopback,
    requestsPerSecond: options.requestsPerSecond,
    concurrency: options.concurrency,
    retries: options.retries,
    minDelayMs: options.minDelayMs,
    signal: session.signal,
    onRateLimitWait: (ms) => session.telemetry.waitedForRateLimit(ms),
  });
}

async function credentialFor(
  options: McpConnectionOptions,
  fetchFn: typeof fetch,
): Promise<McpCredential> {
  const { auth } = options;
  if ('token' in auth) return staticMcpToken(auth.token, new URL(options.url).host);
  const store = typeof auth.store === 'function' ? await auth.store() : auth.store;
  return oauthMcpCredential({ connection: auth.connection, store }, options.url, fetchFn);
}
