import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  type OAuthConnection,
  oauthConnections,
  type TokenBroker,
} from '../connectors/support/index.js';
import { AuthError, KeepsyncError } from '../model/index.js';
import {
  ACCESS_TOKEN_UPDATE,
  type AccessTokenRequest,
  CURRENT_TOKEN_QUERY,
  OAUTH_STATUS_QUERY,
  OAUTH_WORKFLOW,
  type OAuthStatus,
  type OAuthWorkflowInput,
  oauthWorkflowId,
  REAUTHORIZE_SIGNAL,
} from './oauth-protocol.js';

export interface StartTokenWorkflowsOptions {
  client: Client;
  taskQueue: string;
  /** @default every OAuth connection the loaded config registered */
  connections?: readonly OAuthConnection[] | undefined;
  refresh?: OAuthWorkflowInput['refresh'];
}

export interface StartTokenWorkflowsResult {
  readonly ensured: readonly string[];
  /** Connections with no stored authorization yet (`keepsync auth <connection>` first). */
  readonly unauthorized: readonly string[];
}

/**
 * Starts one token-owner workflow per OAuth connection, seeded with the tokens `keepsync auth`
 * stored. A running owner is kept: from then on it, not the store, holds the live tokens.
 */
export async function startTokenWorkflows(
  options: StartTokenWorkflowsOptions,
): Promise<StartTokenWorkflowsResult> {
  const codecs = options.client.options.dataConverter.payloadCodecs ?? [];
  if (codecs.length === 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'Token workflows keep OAuth tokens in their history: set KEEPSYNC_CODEC_KEYS (the payload codec) on every worker and client first',
    );
  }
  const ensured: string[] = [];
  const unauthorized: string[] = [];
  for (const connection of options.connections ?? oauthConnections()) {
    const workflowId = oauthWorkflowId(connection.provider, connection.connection);
    const stored = await connection.load();
    if (!stored) {
      unauthorized.push(`${connection.provider}:${connection.connection}`);
      continue;
    }
    const input: OAuthWorkflowInput = {
      provider: connection.provider,
      connection: connection.connection,
      tokens: {
        accessToken: stored.accessToken,
        refreshToken: stored.refreshToken,
        expiresAt: null,
      },
      refresh: options.refresh,
    };
    await options.client.workflow.start(OAUTH_WORKFLOW, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    ensured.push(workflowId);
  }
  return { ensured, unauthorized };
}

export interface TemporalTokenBrokerOptions {
  /** A query or update waits for a worker; this bounds the wait. @default 30_000 */
  timeoutMs?: number | undefined;
}

/**
 * Tokens from the owner workflows: the current one by query (not written to history), a
 * fresh one by update (its result is in history, sealed by the payload codec).
 */
export function temporalTokenBroker(
  client: Client,
  options: TemporalTokenBrokerOptions = {},
): TokenBroker {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const handle = (provider: string, connection: string) =>
    client.workflow.getHandle(oauthWorkflowId(provider, connection));
  const ask = async <T>(provider: string, connection: string, call: () => Promise<T>) => {
    try {
      return await client.connection.withDeadline(Date.now() + timeoutMs, call);
    } catch (error) {
      throw ownerFailure(oauthWorkflowId(provider, connection), error, timeoutMs);
    }
  };
  return {
    current: (provider, connection) =>
      ask(provider, connection, () =>
        handle(provider, connection).query<string>(CURRENT_TOKEN_QUERY),
      ),
    refresh: (provider, connection, stale) =>
      ask(provider, connection, () =>
        handle(provider, connection).executeUpdate<string, [AccessTokenRequest]>(
          ACCESS_TOKEN_UPDATE,
          { args: [{ stale, requester: askingWorkflow() }] },
        ),
      ),
  };
}

/** The unit workflow whose activity is asking, so a paused owner can resume it later. */
function askingWorkflow(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}

function ownerFailure(workflowId: string, error: unknown, timeoutMs: number): Error {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    if ((current as { type?: string }).type === 'AuthError') {
      return new AuthError(current.message, { cause: error });
    }
    current = current.cause;
  }
  const code = (error as { code?: number }).code;
  if (code === 4 /* DEADLINE_EXCEEDED */) {
    return new KeepsyncError(
      'OFFLINE',
      `Token workflow ${workflowId} did not answer within ${timeoutMs} ms; is a keepsync worker running on its task queue?`,
      { cause: error },
    );
  }
  if ((error as { name?: string }).name === 'WorkflowNotFoundError') {
    return new AuthError(
      `Token workflow ${workflowId} is not running; start it with \`keepsync temporal start\``,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** New credentials from a person (after `keepsync auth`); the owner applies them at once. */
export async function reauthorizeConnection(
  client: Client,
  ref: { provider: string; connection: string },
  credentials: { refreshToken?: string; accessToken?: string } = {},
): Promise<void> {
  await client.workflow
    .getHandle(oauthWorkflowId(ref.provider, ref.connection))
    .signal(REAUTHORIZE_SIGNAL, credentials);
}

export async function tokenOwnerStatus(
  client: Client,
  ref: { provider: string; connection: string },
  timeoutMs = 10_000,
): Promise<OAuthStatus> {
  const handle = client.workflow.getHandle(oauthWorkflowId(ref.provider, ref.connection));
  return client.connection.withDeadline(Date.now() + timeoutMs, () =>
    handle.query<OAuthStatus>(OAUTH_STATUS_QUERY),
  );
}
