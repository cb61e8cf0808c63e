import { AuthError, KeepsyncError, QuotaExhaustedError } from '../../model/index.js';
import { RetryableError } from '../../net/index.js';
import { httpFailureOf, isTransientStatus } from '../support/index.js';

/** What Google's error envelope says: `{ error: { code, message, errors: [{ reason }] } }`. */
interface GoogleErrorInfo {
  readonly status: number;
  readonly reasons: readonly string[];
  readonly message: string;
}

function googleErrorOf(error: unknown): GoogleErrorInfo {
  const { status } = httpFailureOf(error);
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data as
    | {
        error?: {
          message?: string;
          errors?: Array<{ reason?: string }>;
          details?: Array<{ reason?: string }>;
        };
      }
    | undefined;
  const body = typeof data === 'object' && data !== null ? data.error : undefined;
  const reasons = [
    ...(body?.errors ?? []).map((entry) => entry.reason ?? ''),
    ...(body?.details ?? []).map((entry) => entry.reason ?? ''),
  ].filter(Boolean);
  return { status, reasons, message: body?.message ?? (error as Error)?.message ?? String(error) };
}

const AUTH_REASONS = new Set([
  'keyInvalid',
  'keyExpired',
  'API_KEY_INVALID',
  'API_KEY_SERVICE_BLOCKED',
  'accessNotConfigured',
  'SERVICE_DISABLED',
  'forbidden',
  'ipRefererBlocked',
]);
const QUOTA_REASONS = new Set(['quotaExceeded', 'dailyLimitExceeded']);
const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);

/**
 * Turns an SDK error into keepsync's family. The API key never appears: Google's messages do
 * not echo it, and the request URL (which carries `key=`) is left out on purpose.
 */
export function classifyYouTubeError(error: unknown, call: string, now = new Date()): Error {
  const { status, reasons, message } = googleErrorOf(error);
  const text = `YouTube ${call} failed with ${status || 'no answer'}${reasons.length ? ` ${reasons[0]}` : ''}: ${stripHtml(message)}`;
  if (reasons.some((reason) => QUOTA_REASONS.has(reason))) {
    return new QuotaExhaustedError(text, nextPacificMidnight(now));
  }
  if (reasons.some((reason) => RATE_REASONS.has(reason)) || isTransientStatus(status)) {
    return new RetryableError(text, { retryAfterMs: httpFailureOf(error).retryAfterMs });
  }
  if (status === 401 || reasons.some((reason) => AUTH_REASONS.has(reason))) {
    return new AuthError(`${text} (check the API key and that YouTube Data API v3 is enabled)`);
  }
  return new KeepsyncError('SYNC_FAILED', text);
}

function stripHtml(text: string): string {
  return text.replace(/<[^>]+>/g, '');
}

/**
 * YouTube's daily quota resets at midnight Pacific Time: the next such instant after `now`,
 * daylight saving included.
 */
export function nextPacificMidnight(now: Date): Date {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/Los_Angeles',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
    })
      .formatToParts(now)
      .map((part) => [part.type, part.value]),
  );
  // Midnight of the next Pacific day, first read as UTC, then shifted by the offset in force.
  const guess = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + 1);
  let instant = guess + pacificOffsetMs(new Date(guess));
  instant = guess + pacificOffsetMs(new Date(instant));
  return new Date(instant);
}

/** How far Pacific time is behind UTC at `at` (8 h, or 7 h in summer), in ms. */
function pacificOffsetMs(at: Date): number {
  const local = new Date(at.toLocaleString('en-US', { timeZone: 'America/Los_Angeles' }));
  const utc = new Date(at.toLocaleString('en-US', { timeZone: 'UTC' }));
  return utc.getTime() - local.getTime();
}
