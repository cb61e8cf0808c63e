import { createHash } from 'node:crypto';
import { KeepsyncError } from '../../model/index.js';
import { rateLimiterFor } from '../../net/index.js';
import type { ConnectorTelemetry } from '../../sync/index.js';
import { createJiraClient, type JiraAuth, type JiraClient } from './client.js';
import { createRequester, type JiraRequester } from './requests.js';

/** How the Jira source and destination reach a site, and how fast they may ask it. */
export interface JiraConnectionOptions {
  readonly auth: JiraAuth;
  readonly baseUrl?: string | undefined;
  readonly client?: JiraClient | undefined;
  readonly timeoutMs?: number | undefined;
  readonly requestsPerSecond?: number | undefined;
  /**
   * Requests that may start back to back (see RateLimiter), so a start a loaded machine made
   * late is made up by the next ones instead of lost. @default requestsPerSecond, at most 10
   */
  readonly burst?: number | undefined;
  /** Requests in flight at once per credential. @default no cap */
  readonly concurrency?: number | undefined;
  readonly retries?: number | undefined;
}

/** Refuses options that do not say how to reach Jira, naming the connector (`jira.source`). */
export function checkConnection(options: JiraConnectionOptions, connector: string): void {
  if (!options.client && !options.auth)
    throw new KeepsyncError('CONFIG_INVALID', `${connector} needs \`auth\``);
  if (!options.client && !options.baseUrl && !('accessToken' in options.auth)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `${connector} needs \`baseUrl\` (https://<site>.atlassian.net)`,
    );
  }
}

/** The client (jira.js, or the one given) and the paced, retrying requester of one read or session. */
export async function connectJira(
  options: JiraConnectionOptions,
  call: { readonly telemetry: ConnectorTelemetry; readonly signal?: AbortSignal | undefined },
): Promise<{ client: JiraClient; request: JiraRequester }> {
  const client =
    options.client ??
    (await createJiraClient({
      baseUrl: options.baseUrl,
      auth: options.auth,
      timeoutMs: options.timeoutMs ?? 30_000,
    }));
  const request = createRequester({
    limiter: rateLimiterFor(credentialId(options.auth), {
      requestsPerSecond: options.requestsPerSecond ?? 10,
      burst:
        options.burst ?? Math.max(1, Math.min(10, Math.floor(options.requestsPerSecond ?? 10))),
      concurrency: options.concurrency,
    }),
    retries: options.retries ?? 5,
    telemetry: call.telemetry,
    signal: call.signal,
  });
  return { client, request };
}

/** Names one credential for the shared limiter, without keeping the secret in memory twice. */
function credentialId(auth: JiraAuth): string {
  const secret = 'accessToken' in auth ? auth.accessToken : `${auth.email}:${auth.apiToken}`;
  return `jira:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}
