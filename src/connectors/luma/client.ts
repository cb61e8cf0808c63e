import { AuthError, isKeepsyncError } from '../../model/index.js';
import {
  parseRetryAfter,
  type RateLimiter,
  RetryableError,
  rateLimiterFor,
  withRetry,
} from '../../net/index.js';
import type { ConnectorTelemetry } from '../../sync/index.js';
import { isTransientStatus, waitClock } from '../support/index.js';

/** An answer Luma gave that retrying will not change (a 400 on a value, a 404). */
export class LumaRequestError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'LumaRequestError';
    this.status = status;
  }
}

export interface LumaClientOptions {
  readonly apiKey: string;
  /** @default 'https://public-api.luma.com' */
  readonly baseUrl: string;
  /** Luma allows 200 requests a minute per calendar key (500 per organization key). */
  readonly requestsPerMinute: number;
  readonly retries: number;
  readonly retryMinDelayMs: number;
  readonly timeoutMs: number;
  readonly telemetry: ConnectorTelemetry;
  readonly signal?: AbortSignal | undefined;
}

export interface LumaClient {
  get<T>(path: string, query: Readonly<Record<string, string | undefined>>): Promise<T>;
  /**
   * A POST, retried like a GET. Luma has no idempotency key, so a create resent after a lost
   * answer that Luma had applied makes a second event: the documented at-least-once window.
   */
  post<T>(path: string, body: unknown): Promise<T>;
}

/**
 * Luma's REST API (there is no official SDK) through keepsync's shared retry and the key's
 * limiter, paced evenly at the documented per-minute limit so the one-minute 429 block is
 * never met; a 429 still pauses every request of the key for its Retry-After.
 */
export function createLumaClient(options: LumaClientOptions): LumaClient {
  const limiter: RateLimiter = rateLimiterFor(`luma:${options.apiKey.slice(-6)}`, {
    requestsPerSecond: options.requestsPerMinute / 60,
  });
  const waits = waitClock((ms) => options.telemetry.waitedForRateLimit(ms));
  const base = options.baseUrl.replace(/\/+$/, '');

  async function send<T>(
    method: 'GET' | 'POST',
    path: string,
    init: { query?: Readonly<Record<string, string | undefined>>; body?: unknown },
  ): Promise<T> {
    const url = new URL(`${base}${path}`);
    for (const [name, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const what = `${method} ${path}`;
    return withRetry(
      async () => {
        const waited = waits.begin();
        let response: Response;
        try {
          response = await limiter.schedule(
            () => {
              waited();
              return fetch(url, {
                method,
                headers: {
                  'x-luma-api-key': options.apiKey,
                  accept: 'application/json',
                  ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
                },
                body: init.body === undefined ? undefined : JSON.stringify(init.body),
                signal: options.signal
                  ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
                  : AbortSignal.timeout(options.timeoutMs),
              });
            },
            { signal: options.signal },
          );
        } catch (error) {
          if (isKeepsyncError(error) || options.signal?.aborted) throw error;
          throw new RetryableError(`Luma ${what} got no answer: ${(error as Error).message}`);
        } finally {
          waited();
        }
        const text = await response.text();
        if (response.ok) return (text ? JSON.parse(text) : {}) as T;
        const detail = messageOf(text);
        const message = `Luma ${what} failed with ${response.status}: ${detail}`;
        if (response.status === 401 || response.status === 403) {
          throw new AuthError(`Luma refused the API key: ${message}`);
        }
        if (isTransientStatus(response.status)) {
          throw new RetryableError(message, {
            retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
          });
        }
        throw new LumaRequestError(message, response.status);
      },
      {
        retries: options.retries,
        minDelayMs: options.retryMinDelayMs,
        limiter,
        signal: options.signal,
        isRetryable: (error) => error instanceof RetryableError,
        onRetry: () => options.telemetry.retried(),
      },
    );
  }

  return {
    get: (path, query) => send('GET', path, { query }),
    post: (path, body) => send('POST', path, { body }),
  };
}

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON (a proxy's HTML page): a short excerpt says enough.
  }
  return text.slice(0, 300);
}
