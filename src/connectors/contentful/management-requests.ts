import { AuthError } from '../../model/index.js';
import { type RateLimiter, RetryableError } from '../../net/index.js';
import type { ConnectorTelemetry } from '../../sync/index.js';
import { createServiceRequester, isTransientStatus } from '../support/index.js';
import { ContentfulHttpError } from './management-client.js';

/** A CMA answer retrying will not change: a 422 naming fields, a 400, a 404, a 409. */
export class ContentfulRequestError extends Error {
  readonly status: number;
  readonly errorId: string;

  constructor(message: string, status: number, errorId: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ContentfulRequestError';
    this.status = status;
    this.errorId = errorId;
  }
}

export type ManagementRequester = <T>(what: string, call: () => Promise<T>) => Promise<T>;

/**
 * One CMA call through the credential's limiter (src/net): a 429 waits out
 * `X-Contentful-RateLimit-Reset` with the whole limiter paused, 5xx and lost answers are
 * retried with backoff, 401/403 become an AuthError, other 4xx a ContentfulRequestError
 * whose message carries Contentful's validation details. A 409 is not retried here: the
 * caller re-reads the entry's version.
 */
export function createManagementRequester(options: {
  readonly limiter: RateLimiter;
  readonly retries: number;
  readonly telemetry: ConnectorTelemetry;
  readonly signal?: AbortSignal | undefined;
}): ManagementRequester {
  const request = createServiceRequester(options);
  return <T>(what: string, call: () => Promise<T>): Promise<T> =>
    request({ run: call, classify: (error) => classify(what, error) });
}

function classify(what: string, error: unknown): unknown {
  if (!(error instanceof ContentfulHttpError)) return error;
  const { status, errorId } = error;
  const detail = [errorId, error.message, validationText(error.details)].filter(Boolean).join(': ');
  const message = status
    ? `Contentful ${what} failed with ${status} ${detail}`
    : `Contentful ${what} failed: ${error.code ?? ''} ${error.message}`.trim();
  if (status === 401 || status === 403) {
    return new AuthError(`Contentful refused the management token: ${message}`, { cause: error });
  }
  // 409 is the caller's (re-read the version); every other transient status is retried.
  if (status !== 409 && isTransientStatus(status)) {
    return new RetryableError(message, { retryAfterMs: error.retryAfterMs, cause: error });
  }
  return new ContentfulRequestError(message, status, errorId, { cause: error });
}

/** `details.errors` of a ValidationFailed, as "fields.title.en-US: required (…)". */
function validationText(details: unknown): string {
  const errors = (details as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return '';
  return errors
    .map((entry: { name?: unknown; path?: unknown; details?: unknown }) => {
      const path = Array.isArray(entry.path) ? entry.path.join('.') : '';
      const why = typeof entry.details === 'string' ? ` (${entry.details})` : '';
      return `${path || 'entry'}: ${String(entry.name ?? 'invalid')}${why}`;
    })
    .join('; ');
}
