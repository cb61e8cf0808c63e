import pRetry, { AbortError } from 'p-retry';
import { isAuthError } from '../model/index.js';
import type { RateLimiter } from './rate-limiter.js';

/** A failure worth another try, optionally with the wait the service asked for. */
export class RetryableError extends Error {
  readonly retryAfterMs: number | undefined;
  /** The HTTP status that answered, when one did (a 429 was refused, not applied). */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: {
      retryAfterMs?: number | undefined;
      status?: number | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RetryableError';
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

export interface RetryOptions {
  /** @default 5 */
  retries?: number;
  /** @default 250 */
  minDelayMs?: number;
  /** @default 30_000 */
  maxDelayMs?: number;
  signal?: AbortSignal | undefined;
  /** The limiter to pause on Retry-After, so every request of the credential waits. */
  limiter?: RateLimiter | undefined;
  /** Decides which errors are retried. @default RetryableError and network errors */
  isRetryable?: ((error: unknown) => boolean) | undefined;
  onRetry?: ((context: { error: unknown; attempt: number; delayMs: number }) => void) | undefined;
  /** Told how long a Retry-After made the call wait. */
  onRateLimitWait?: ((ms: number) => void) | undefined;
}

/**
 * Retries `task` with exponential backoff and full jitter. A Retry-After is honoured: the
 * next attempt waits at least that long (and the whole limiter pauses, when there is one).
 * Auth errors are never retried.
 */
export async function withRetry<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const isRetryable = options.isRetryable ?? defaultIsRetryable;
  return pRetry(
    async (attempt) => {
      try {
        return await task(attempt);
      } catch (error) {
        if (isAuthError(error) || !isRetryable(error)) throw new AbortError(error as Error);
        throw error;
      }
    },
    {
      retries: options.retries ?? 5,
      minTimeout: options.minDelayMs ?? 250,
      maxTimeout: options.maxDelayMs ?? 30_000,
      factor: 2,
      randomize: true,
      signal: options.signal,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft === 0) return;
        const retryAfterMs = error instanceof RetryableError ? error.retryAfterMs : undefined;
        options.onRetry?.({ error, attempt: attemptNumber, delayMs: retryAfterMs ?? 0 });
        if (retryAfterMs !== undefined && retryAfterMs > 0) {
          options.onRateLimitWait?.(retryAfterMs);
          if (options.limiter) options.limiter.pauseFor(retryAfterMs);
          else await sleep(retryAfterMs, options.signal);
        }
      },
    },
  );
}

function defaultIsRetryable(error: unknown): boolean {
  if (error instanceof RetryableError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  header: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
