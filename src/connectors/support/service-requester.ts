import { isKeepsyncError } from '../../model/index.js';
import { type RateLimiter, RetryableError, withRetry } from '../../net/index.js';
import type { ConnectorTelemetry } from '../../sync/index.js';
import { waitClock } from './wait-clock.js';

/** How one connector's calls to its service are paced and retried. */
export interface ServiceRequesterOptions {
  /** The credential's shared limiter: every call starts through it, and a Retry-After pauses it. */
  readonly limiter: RateLimiter;
  readonly retries: number;
  /** @default 500 */
  readonly minDelayMs?: number | undefined;
  readonly telemetry: ConnectorTelemetry;
  readonly signal?: AbortSignal | undefined;
}

/** One call, with what the connector knows about its service's failures. */
export interface ServiceCall<T> {
  readonly run: () => Promise<T>;
  /**
   * The error to throw for a failed attempt: a RetryableError is retried (its `retryAfterMs`
   * pauses the limiter), anything else ends the call. keepsync's own errors are never given.
   */
  readonly classify: (error: unknown) => unknown | Promise<unknown>;
  /** Whether the failed attempt may have been applied by the service (no answer, a 5xx). */
  readonly mayHaveApplied?: ((error: unknown) => boolean) | undefined;
  /**
   * For a call that is not idempotent: once an attempt may have been applied, this runs before
   * every retry and its result, if any, is the call's answer.
   */
  readonly recover?: (() => Promise<T | undefined>) | undefined;
}

export type ServiceRequester = <T>(call: ServiceCall<T>) => Promise<T>;

/**
 * Runs every call through the limiter and src/net's retry, counting the time spent waiting
 * for the limiter (once, however many calls wait) and each retry in the run's telemetry.
 */
export function createServiceRequester(options: ServiceRequesterOptions): ServiceRequester {
  const { limiter, telemetry, signal } = options;
  const waits = waitClock((ms) => telemetry.waitedForRateLimit(ms));
  return function request<T>(call: ServiceCall<T>): Promise<T> {
    let ambiguous = false;
    return withRetry(
      async () => {
        if (ambiguous && call.recover) {
          const recovered = await call.recover();
          if (recovered !== undefined) return recovered;
        }
        const waited = waits.begin();
        try {
          return await limiter.schedule(
            async () => {
              waited();
              return call.run();
            },
            { signal },
          );
        } catch (error) {
          if (isKeepsyncError(error)) throw error;
          const classified = await call.classify(error);
          // An earlier attempt that may have been applied stays a possibility after a later refusal.
          if (classified instanceof RetryableError && call.mayHaveApplied?.(error))
            ambiguous = true;
          throw classified;
        } finally {
          waited();
        }
      },
      {
        retries: options.retries,
        minDelayMs: options.minDelayMs ?? 500,
        limiter,
        signal,
        isRetryable: (error) => error instanceof RetryableError,
        onRetry: () => telemetry.retried(),
      },
    );
  };
}
