import { describe, expect, it } from 'vitest';
import { createServiceRequester } from '../../../src/connectors/support/index.js';
import { KeepsyncError } from '../../../src/model/index.js';
import { RateLimiter, RetryableError } from '../../../src/net/index.js';

class HttpFailure extends Error {
  constructor(readonly status: number) {
    super(`status ${status}`);
  }
}

function requester() {
  const counts = { retried: 0 };
  const request = createServiceRequester({
    limiter: new RateLimiter({ requestsPerSecond: 1000 }),
    retries: 4,
    minDelayMs: 1,
    telemetry: {
      retried: () => counts.retried++,
      waitedForRateLimit: () => {},
    },
  });
  const classify = (error: unknown) =>
    error instanceof HttpFailure && error.status >= 429
      ? new RetryableError(error.message, { retryAfterMs: 0 })
      : error;
  const mayHaveApplied = (error: unknown) => (error as HttpFailure).status !== 429;
  return { request, classify, mayHaveApplied, counts };
}

describe('createServiceRequester', () => {
  it('retries what classify makes retryable and counts each retry', async () => {
    const { request, classify, counts } = requester();
    const answers = [new HttpFailure(503), new HttpFailure(429), 'done'];
    const result = await request({
      run: async () => {
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return next;
      },
      classify,
    });
    expect(result).toBe('done');
    expect(counts.retried).toBe(2);
  });

  it('looks the result up before repeating a call that may have been applied, also after a later 429', async () => {
    const { request, classify, mayHaveApplied } = requester();
    const calls: string[] = [];
    const failures = [new HttpFailure(502), new HttpFailure(429)];
    let lookups = 0;
    const result = await request({
      run: async () => {
        calls.push('create');
        const failure = failures.shift();
        if (failure) throw failure;
        return 'created';
      },
      classify,
      mayHaveApplied,
      recover: async () => (++lookups === 2 ? 'found' : undefined),
    });
    // 502 (maybe applied) -> lookup finds nothing -> 429 -> lookup finds the create.
    expect(calls).toEqual(['create', 'create']);
    expect(result).toBe('found');
  });

  it('does not look up after a refusal alone, and passes keepsync errors through unclassified', async () => {
    const { request, classify, mayHaveApplied } = requester();
    let lookups = 0;
    let first = true;
    await request({
      run: async () => {
        if (first) {
          first = false;
          throw new HttpFailure(429);
        }
        return 'ok';
      },
      classify,
      mayHaveApplied,
      recover: async () => {
        lookups++;
        return undefined;
      },
    });
    expect(lookups).toBe(0);
    const own = new KeepsyncError('CONFIG_INVALID', 'bad value');
    let classified = 0;
    await expect(
      request({
        run: async () => {
          throw own;
        },
        classify: (error) => {
          classified++;
          return error;
        },
      }),
    ).rejects.toBe(own);
    expect(classified).toBe(0);
  });
});
