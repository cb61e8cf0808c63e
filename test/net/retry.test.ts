import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/model/index.js';
import { parseRetryAfter, RateLimiter, RetryableError, withRetry } from '../../src/net/index.js';

describe('withRetry', () => {
  it('retries retryable errors until the task succeeds', async () => {
    let calls = 0;
    const retried: number[] = [];
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new RetryableError('503');
        return 'done';
      },
      { minDelayMs: 1, onRetry: ({ attempt }) => retried.push(attempt) },
    );
    expect(result).toBe('done');
    expect(retried).toEqual([1, 2]);
  });

  it('waits at least the Retry-After the service asked for', async () => {
    let calls = 0;
    let waited = 0;
    const started = performance.now();
    await withRetry(
      async () => {
        if (calls++ === 0) throw new RetryableError('429', { retryAfterMs: 120 });
      },
      { minDelayMs: 1, onRateLimitWait: (ms) => (waited += ms) },
    );
    expect(waited).toBe(120);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('never retries an auth error or an unknown error', async () => {
    for (const error of [new AuthError('401'), new Error('bug')]) {
      let calls = 0;
      await expect(
        withRetry(
          async () => {
            calls++;
            throw error;
          },
          { minDelayMs: 1 },
        ),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('gives up after the configured retries with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new RetryableError(`failure ${calls}`);
        },
        { retries: 2, minDelayMs: 1 },
      ),
    ).rejects.toThrow('failure 3');
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    ).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('RateLimiter', () => {
  it('starts no more requests per second than allowed', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 5 });
    const starts: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limiter.schedule(async () => {
          starts.push(performance.now() - t0);
        }),
      ),
    );
    // In any one-second window at most five starts.
    for (const start of starts) {
      expect(
        starts.filter((other) => other >= start && other < start + 950).length,
      ).toBeLessThanOrEqual(5);
    }
    expect(starts.at(-1)!).toBeGreaterThanOrEqual(1900);
  });

  it('caps requests in flight', async () => {
    const limiter = new RateLimiter({ concurrency: 2 });
    let inFlight = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        limiter.schedule(async () => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 10));
          inFlight--;
        }),
      ),
    );
    expect(most).toBe(2);
  });

  it('holds the whole queue while paused for a Retry-After, and reports the wait', async () => {
    const limiter = new RateLimiter();
    limiter.pauseFor(150);
    const waits: number[] = [];
    const t0 = performance.now();
    await limiter.schedule(async () => {}, { onWait: (ms) => waits.push(ms) });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(waits[0]).toBeGreaterThanOrEqual(140);
  });
});
