// What the token-owner workflow, its refresh activity and the broker agree on. Loaded inside the
// workflow sandbox too, so it imports nothing.

export const OAUTH_WORKFLOW = 'keepsyncOAuth';
/** Update: `{ stale?, requester? }` -> an access token newer than `stale`. */
export const ACCESS_TOKEN_UPDATE = 'accessToken';
/** Query: the current access token (queries are not written to history). */
export const CURRENT_TOKEN_QUERY = 'currentToken';
/** Query: the owner's state, without secrets. */
export const OAUTH_STATUS_QUERY = 'status';
/** Signal: `{ refreshToken?, accessToken? }`, new credentials from a person; applied at once. */
export const REAUTHORIZE_SIGNAL = 'reauthorize';
export const OAUTH_REFRESH_ACTIVITY = 'keepsync.oauthRefresh';

/** Refreshes this long before the access token expires. */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** Wait after a refresh that failed for a reason other than authorization. */
export const TRANSIENT_RETRY_MS = 60_000;

export function oauthWorkflowId(provider: string, connection: string): string {
  return `keepsync:oauth:${provider}:${connection}`;
}

export interface OAuthTokens {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  /** ISO time the access token expires; null = the provider did not say. */
  readonly expiresAt: string | null;
}

export interface OAuthWorkflowInput {
  readonly provider: string;
  readonly connection: string;
  /** Encrypted in history by the payload codec (`keepsync temporal start` refuses without it remotely). */
  readonly tokens: OAuthTokens;
  readonly refresh?: { readonly startToCloseTimeoutMs?: number | undefined } | undefined;
  /** Set by continue-as-new only. */
  readonly carried?: OAuthCarried | undefined;
}

export interface OAuthCarried {
  readonly status: OAuthStatus;
  readonly dependents: readonly string[];
  readonly refreshWanted: boolean;
}

export interface OAuthStatus {
  readonly provider: string;
  readonly connection: string;
  readonly paused: boolean;
  readonly pausedReason: string | null;
  /** Refreshes over all continue-as-new runs. */
  readonly refreshes: number;
  readonly lastRefresh: string | null;
  readonly lastError: string | null;
  readonly expiresAt: string | null;
  /** Unit workflows that asked while paused; each gets `resume` on recovery. */
  readonly waiting: number;
}

export interface AccessTokenRequest {
  /** The token a call was refused with; omitted = just the current one. */
  readonly stale?: string | undefined;
  /** The unit workflow asking, resumed when a paused owner recovers. */
  readonly requester?: string | undefined;
}

export interface RefreshInput {
  readonly provider: string;
  readonly connection: string;
  readonly refreshToken: string;
}

export interface RefreshResult {
  readonly accessToken: string;
  /** The rotated refresh token, or the same one for a provider that does not rotate. */
  readonly refreshToken: string;
  readonly expiresInSec: number | null;
}

/** A reauthorize payload, or null when it holds neither token (then it only retries). */
export function credentialsFromPayload(
  payload: unknown,
): { refreshToken?: string; accessToken?: string } | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { refreshToken, accessToken } = payload as Record<string, unknown>;
  const result: { refreshToken?: string; accessToken?: string } = {};
  if (typeof refreshToken === 'string' && refreshToken.length > 0)
    result.refreshToken = refreshToken;
  if (typeof accessToken === 'string' && accessToken.length > 0) result.accessToken = accessToken;
  return result.refreshToken || result.accessToken ? result : null;
}
