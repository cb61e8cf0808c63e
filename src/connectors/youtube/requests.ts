import { type RateLimiter, RetryableError } from '../../net/index.js';
import type { ConnectorTelemetry } from '../../sync/index.js';
import { createServiceRequester } from '../support/index.js';
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
  const request = createServiceRequester(options);
  return <T>(call: string, run: () => Promise<T>): Promise<T> =>
    request({
      run,
      classify: (error) =>
        error instanceof RetryableError ? error : classifyYouTubeError(error, call),
    });
}
