import { AuthError, describeError } from '../../model/index.js';
import { parseRetryAfter, type RateLimiter, RetryableError } from '../../net/index.js';
import type { ConnectorTelemetry } from '../../sync/index.js';
import { createServiceRequester, isTransientStatus } from '../support/index.js';

/** A Jira answer that retrying will not change (a 400 on a value, a 404). */
export class JiraRequestError extends Error {
  readonly status: number;

  constructor(message: string, status: number, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'JiraRequestError';
    this.status = status;
  }
}

interface JiraFailure {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  /** Jira's `errorMessages` and `errors`, joined. */
  readonly detail: string;
}

/** Reads the status, Retry-After and error body of a jira.js error (an HttpException over axios). */
function jiraFailureOf(error: unknown): JiraFailure {
  const candidate = error as {
    status?: unknown;
    response?: { status?: unknown; data?: unknown; headers?: unknown };
    cause?: { response?: { status?: unknown; headers?: unknown; data?: unknown } };
  } | null;
  const axios = candidate?.cause?.response ?? candidate?.response;
  const status = Number(axios?.status ?? candidate?.status ?? 0) || 0;
  const headers = axios?.headers as
    | { get?: (name: string) => unknown; [name: string]: unknown }
    | undefined;
  const retryAfter =
    typeof headers?.get === 'function' ? headers.get('retry-after') : headers?.['retry-after'];
  const body = (candidate?.cause?.response?.data ??
    (candidate?.response as { data?: unknown } | undefined)?.data) as
    | { errorMessages?: unknown; errors?: unknown }
    | undefined;
  const messages = Array.isArray(body?.errorMessages) ? body.errorMessages.map(String) : [];
  const fieldErrors =
    body?.errors && typeof body.errors === 'object'
      ? Object.entries(body.errors as Record<string, unknown>).map(
          ([field, message]) => `${field}: ${String(message)}`,
        )
      : [];
  const detail = [...messages, ...fieldErrors].join('; ') || describeError(error);
  return {
    status,
    retryAfterMs: parseRetryAfter(retryAfter === undefined ? undefined : String(retryAfter)),
    detail,
  };
}

/**
 * One Jira call through the credential's limiter: 429 waits out Retry-After (the whole
 * limiter pauses), 5xx and lost answers are retried, 401/403 become an AuthError, other 4xx
 * a JiraRequestError. `recover` runs before a retry after an ambiguous failure (the call may
 * have been applied) and may return the result instead of calling again.
 */
export type JiraRequester = <T>(
  what: string,
  call: () => Promise<T>,
  recover?: () => Promise<T | undefined>,
) => Promise<T>;

export function createRequester(options: {
  readonly limiter: RateLimiter;
  readonly retries: number;
  readonly minDelayMs?: number | undefined;
  readonly telemetry: ConnectorTelemetry;
  readonly signal?: AbortSignal | undefined;
}): JiraRequester {
  const request = createServiceRequester(options);
  return <T>(
    what: string,
    call: () => Promise<T>,
    recover?: () => Promise<T | undefined>,
  ): Promise<T> =>
    request({
      run: call,
      recover,
      classify: (error) => classify(what, error),
      // A 429 was refused before it ran; a 5xx or no answer may have been applied.
      mayHaveApplied: (error) => jiraFailureOf(error).status !== 429,
    });
}

function classify(what: string, error: unknown): unknown {
  const { status, retryAfterMs, detail } = jiraFailureOf(error);
  const message = status
    ? `Jira ${what} failed with ${status}: ${detail}`
    : `Jira ${what} failed: ${detail}`;
  if (status === 401 || status === 403) {
    return new AuthError(`Jira refused the credential: ${message}`, { cause: error });
  }
  if (isTransientStatus(status)) {
    return new RetryableError(message, { retryAfterMs, cause: error });
  }
  return new JiraRequestError(message, status, { cause: error });
}
