import { AuthError, describeError } from '../../model/index.js';
import { type RateLimiter, RetryableError } from '../../net/index.js';
import type { ConnectorTelemetry } from '../../sync/index.js';
import {
  createServiceRequester,
  ForbiddenError,
  httpFailureOf,
  isTransientStatus,
  queueSignal,
} from '../support/index.js';
import type { TokenSource } from './tokens.js';

export interface RequesterOptions {
  readonly tokens: TokenSource;
  readonly limiter: RateLimiter;
  readonly telemetry: ConnectorTelemetry;
  readonly signal?: AbortSignal | undefined;
  /** @default 5 */
  readonly retries?: number | undefined;
  /** @default 500 */
  readonly retryMinDelayMs?: number | undefined;
}

/** A Notion API failure that is not worth retrying, with Notion's own code and message. */
export class NotionRequestError extends Error {
  readonly status: number;
  constructor(message: string, status: number, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NotionRequestError';
    this.status = status;
  }
}

/** Statuses of a request Notion did not carry out. */
const NOT_APPLIED = new Set([409, 429, 529]);

export interface RequestOptions<T> {
  /**
   * For a call that is not idempotent (a page create): after a failure that may have been
   * applied (a timeout, a 5xx), this finds the result before the call is repeated.
   */
  readonly recover?: (() => Promise<T | undefined>) | undefined;
}

export type Request = <T>(
  what: string,
  call: (token: string) => Promise<T>,
  options?: RequestOptions<T>,
) => Promise<T>;

/**
 * Runs every Notion call through the credential's shared limiter, retries rate limits and
 * server errors (the whole limiter pauses for a Retry-After), and swaps in a refreshed token
 * after one 401. `what` ("POST /v1/pages") names the call in errors.
 */
export function createRequester(options: RequesterOptions): Request {
  const { tokens } = options;
  const request = createServiceRequester({
    limiter: options.limiter,
    retries: options.retries ?? 5,
    minDelayMs: options.retryMinDelayMs ?? 500,
    telemetry: options.telemetry,
    signal: queueSignal(options.signal),
  });
  return async function notionRequest<T>(
    what: string,
    call: (token: string) => Promise<T>,
    requestOptions: RequestOptions<T> = {},
  ): Promise<T> {
    let token = await tokens.current();
    let refreshed = false;
    return request({
      run: () => call(token),
      recover: requestOptions.recover,
      // Refused before it ran: a rate limit, a conflict (409 conflict_error), an overload
      // (529) or a 401; no answer or another 5xx may have been applied.
      mayHaveApplied: (error) => {
        const { status } = httpFailureOf(error);
        return status !== 401 && !NOT_APPLIED.has(status);
      },
      classify: async (error) => {
        const { status, retryAfterMs } = httpFailureOf(error);
        if (status === 401) {
          if (refreshed) return unauthorized(what, error);
          refreshed = true;
          token = await tokens.refresh(token);
          return new RetryableError(`${what}: token refreshed`, { retryAfterMs: 0 });
        }
        if (status === 403) {
          return new ForbiddenError(
            `Notion refused access: ${describeNotionFailure(what, error)}`,
            {
              cause: error,
            },
          );
        }
        const message = describeNotionFailure(what, error);
        if (isTransientStatus(status)) {
          return new RetryableError(message, { retryAfterMs, cause: error });
        }
        return new NotionRequestError(message, status, { cause: error });
      },
    });
  };
}

function unauthorized(what: string, error: unknown): AuthError {
  return new AuthError(`Notion refused the credential: ${describeNotionFailure(what, error)}`, {
    cause: error,
  });
}

/** "Notion POST /v1/pages failed with 400 validation_error: Stars is expected to be number." */
function describeNotionFailure(what: string, error: unknown): string {
  const { status } = httpFailureOf(error);
  const code = (error as { code?: string })?.code;
  const detail = describeError(error);
  return status
    ? `Notion ${what} failed with ${status}${code ? ` ${code}` : ''}: ${detail}`
    : `Notion ${what} failed: ${detail}`;
}
