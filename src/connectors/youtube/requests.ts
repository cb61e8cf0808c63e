import { isKeepsyncError } from '../../model/index.js';
import { type RateLimiter, RetryableError, withRetry } from '../../net/index.js';
import type { ConnectorTelemetry } from '../../sync/index.js';
import { waitClock } from '../support/index.js';
import { classifyYouTubeError } from './errors.js';

export type YouTubeRequester = <T>(call: string, run: () => Promise<T>) => Promise<T>;

/**
 * One YouTube call through the key's limiter: rate-limit reasons and 5xx are retried with
 * backoff; quotaExceeded, a bad key and other 4xx are not (retrying cannot help them).
 */
export function youTubeRequester(options: {
  readonly limiter: RateLimiter;
  readonly retries: number;
  readonly minDelayMs: number;
  readonly telemetry: ConnectorTelemetry;
  readonly signal?: AbortSignal | undefined;
}): YouTubeRequester {
  const waits = waitClock((ms) => options.telemetry.waitedForRateLimit(ms));
  return function request<T>(call: string, run: () => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        const waited = waits.begin();
        try {
          return await options.limiter.schedule(
            async () => {
              waited();
              return run();
            },
            { signal: options.signal },
          );
        } catch (error) {
          if (isKeepsyncError(error) || error instanceof RetryableError) throw error;
          throw classifyYouTubeError(error, call);
        } finally {
          waited();
        }
      },
      {
        retries: options.retries,
        minDelayMs: options.minDelayMs,
        limiter: options.limiter,
        signal: options.signal,
        isRetryable: (error) => error instanceof RetryableError,
        onRetry: () => options.telemetry.retried(),
      },
    );
  };
}
