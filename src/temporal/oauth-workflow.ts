// The token owner of one OAuth connection. It alone spends the refresh token, one refresh at a
// time, so a refresh token that rotates on use is never presented twice however many workers
// hit a 401 together. Tokens live in its state and in history only through the payload codec.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ACCESS_TOKEN_UPDATE,
  type AccessTokenRequest,
  CURRENT_TOKEN_QUERY,
  credentialsFromPayload,
  OAUTH_REFRESH_ACTIVITY,
  OAUTH_STATUS_QUERY,
  type OAuthStatus,
  type OAuthTokens,
  type OAuthWorkflowInput,
  REAUTHORIZE_SIGNAL,
  REFRESH_AHEAD_MS,
  type RefreshInput,
  type RefreshResult,
  TRANSIENT_RETRY_MS,
} from './oauth-protocol.js';
import { AUTH_ERROR, SIGNALS } from './protocol.js';

export const accessTokenUpdate = defineUpdate<string, [AccessTokenRequest?]>(ACCESS_TOKEN_UPDATE);
export const currentTokenQuery = defineQuery<string>(CURRENT_TOKEN_QUERY);
export const oauthStatusQuery = defineQuery<OAuthStatus>(OAUTH_STATUS_QUERY);
export const reauthorizeSignal = defineSignal<unknown[]>(REAUTHORIZE_SIGNAL);

type RefreshActivities = Record<string, (input: RefreshInput) => Promise<RefreshResult>>;

export async function keepsyncOAuth(input: OAuthWorkflowInput): Promise<void> {
  const carried = input.carried;
  let tokens: OAuthTokens = input.tokens;
  let paused = carried?.status.paused ?? false;
  let pausedReason = carried?.status.pausedReason ?? null;
  let refreshes = carried?.status.refreshes ?? 0;
  let lastRefresh = carried?.status.lastRefresh ?? null;
  let lastError = carried?.status.lastError ?? null;
  let refreshWanted = carried?.refreshWanted ?? false;
  const dependents = new Set(carried?.dependents ?? []);
  // Bumped by every change of the access token: waiters compare against it.
  let generation = 0;

  const status = (): OAuthStatus => ({
    provider: input.provider,
    connection: input.connection,
    paused,
    pausedReason,
    refreshes,
    lastRefresh,
    lastError,
    expiresAt: tokens.expiresAt,
    waiting: dependents.size,
  });
  const refused = (requester: string | undefined) => {
    if (requester) dependents.add(requester);
    return ApplicationFailure.create({
      type: AUTH_ERROR,
      nonRetryable: true,
      message: `OAuth connection ${input.provider}:${input.connection} is paused (${pausedReason}); re-authorize it, and the paused syncs resume`,
    });
  };

  setHandler(currentTokenQuery, () => tokens.accessToken);
  setHandler(oauthStatusQuery, status);
  setHandler(accessTokenUpdate, async (request?: AccessTokenRequest) => {
    const stale = typeof request?.stale === 'string' ? request.stale : undefined;
    const requester = typeof request?.requester === 'string' ? request.requester : undefined;
    if (paused) throw refused(requester);
    // Someone else's refresh already replaced the token this caller was refused with.
    if (stale === undefined || stale !== tokens.accessToken) return tokens.accessToken;
    const seen = generation;
    refreshWanted = true;
    await condition(() => generation !== seen || paused);
    if (generation === seen) throw refused(requester);
    return tokens.accessToken;
  });
  setHandler(reauthorizeSignal, (...payload: unknown[]) => {
    // New credentials apply now, paused or not (durable-sync kept them until the next failure).
    const credentials = credentialsFromPayload(payload[0]);
    if (credentials?.refreshToken) tokens = { ...tokens, refreshToken: credentials.refreshToken };
    if (credentials?.accessToken) {
      tokens = { ...tokens, accessToken: credentials.accessToken, expiresAt: null };
      generation++;
    } else {
      refreshWanted = true;
    }
    paused = false;
    pausedReason = null;
    lastError = null;
  });

  const activities = proxyActivities<RefreshActivities>({
    startToCloseTimeout: input.refresh?.startToCloseTimeoutMs ?? 60_000,
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: [AUTH_ERROR] },
  });
  const refreshActivity = activities[OAUTH_REFRESH_ACTIVITY]!;

  const refreshDue = (): number | undefined => {
    if (!tokens.expiresAt) return undefined;
    return Math.max(0, Date.parse(tokens.expiresAt) - REFRESH_AHEAD_MS - Date.now());
  };

  for (;;) {
    if (paused) {
      await condition(() => !paused);
      continue;
    }
    if (!refreshWanted) {
      // Recovered: the syncs it paused run again, now that a good token is at hand.
      if (dependents.size > 0) await wakeDependents(dependents);
      if (workflowInfo().continueAsNewSuggested) {
        // Only between refreshes: an update waiting for a refresh would never finish.
        await condition(() => allHandlersFinished() || refreshWanted);
        if (!refreshWanted) {
          await continueAsNew<typeof keepsyncOAuth>({
            ...input,
            tokens,
            carried: { status: status(), dependents: [...dependents], refreshWanted },
          });
        }
        continue;
      }
      const waitMs = refreshDue();
      const woke = await condition(() => refreshWanted || paused, waitMs ?? '365 days');
      if (woke) continue;
    }
    if (!tokens.refreshToken) {
      paused = true;
      pausedReason = 'no refresh token: re-authorize the connection';
      continue;
    }
    try {
      const result = await refreshActivity({
        provider: input.provider,
        connection: input.connection,
        refreshToken: tokens.refreshToken,
      });
      const now = Date.now();
      tokens = {
        accessToken: result.accessToken,
        refreshToken: result.refreshToken,
        expiresAt:
          result.expiresInSec === null
            ? null
            : new Date(now + result.expiresInSec * 1000).toISOString(),
      };
      generation++;
      refreshes++;
      refreshWanted = false;
      lastRefresh = new Date(now).toISOString();
      lastError = null;
    } catch (error) {
      lastError = rootMessage(error);
      if (hasAuthFailure(error)) {
        paused = true;
        pausedReason = lastError;
        log.warn(`OAuth ${input.provider}:${input.connection} paused: ${lastError}`);
      } else {
        log.warn(`OAuth ${input.provider}:${input.connection} refresh failed: ${lastError}`);
        await sleep(TRANSIENT_RETRY_MS);
      }
    }
  }
}

/** Each unit workflow this owner paused gets `resume`; one already gone is skipped. */
async function wakeDependents(dependents: Set<string>): Promise<void> {
  for (const workflowId of [...dependents]) {
    dependents.delete(workflowId);
    try {
      await getExternalWorkflowHandle(workflowId).signal(SIGNALS.resume);
    } catch (error) {
      log.warn(`could not resume ${workflowId}: ${rootMessage(error)}`);
    }
  }
}

function rootMessage(error: unknown): string {
  let current: unknown = error;
  let message = 'unknown error';
  for (let depth = 0; current instanceof Error && depth < 20; depth++) {
    if (current.message.trim()) message = current.message.trim();
    current = current.cause;
  }
  return message;
}

function hasAuthFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 20; depth++) {
    if (current instanceof ApplicationFailure && current.type === AUTH_ERROR) return true;
    current = current.cause;
  }
  return false;
}
