import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/net/index.js';

/** Schedules `count` tasks at once and says how many started before any timer ran. */
function startedAtOnce(
  limiter: RateLimiter,
  count: number,
): { started: number; all: Promise<unknown> } {
  let started = 0;
  const all = Promise.all(
    Array.from({ length: count }, () =>
      limiter.schedule(async () => {
        started++;
      }),
    ),
  );
  return { started, all };
}

describe('RateLimiter', () => {
  it('spaces every start when no burst is allowed', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 20 });
    const { started, all } = startedAtOnce(limiter, 3);
    expect(started).toBe(1);
    await all;
  });

  it('lets `burst` starts go back to back, so a start a late timer delayed is made up by the next', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 20, burst: 3 });
    const { started, all } = startedAtOnce(limiter, 5);
    // Three within the window of 3/20 s, the fourth only when the first leaves it.
    expect(started).toBe(3);
    await all;
  });
});
