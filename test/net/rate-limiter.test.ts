import { afterEach, describe, expect, it, vi } from 'vitest';
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

  describe('after a "slow down" (Retry-After)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Queues `count` tasks and resolves with the clock time each one started at. */
    async function startTimes(limiter: RateLimiter, count: number): Promise<number[]> {
      const times: number[] = [];
      const all = Promise.all(
        Array.from({ length: count }, () =>
          limiter.schedule(async () => {
            times.push(Date.now());
          }),
        ),
      );
      await vi.runAllTimersAsync();
      await all;
      return times;
    }

    it('spaces the held requests when the pause ends instead of releasing them at once', async () => {
      vi.useFakeTimers({ now: 0 });
      const limiter = new RateLimiter({ concurrency: 6 });
      limiter.pauseFor(1_000);
      const times = await startTimes(limiter, 4);
      expect(times).toHaveLength(4);
      expect(times[0]).toBeGreaterThanOrEqual(1_000);
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!, `start ${i}`).toBeGreaterThanOrEqual(9);
      }
    });

    it('halves the rate once per exhausted budget, not once per answer of the same burst', async () => {
      vi.useFakeTimers({ now: 0 });
      const limiter = new RateLimiter({ requestsPerSecond: 20 });
      for (let i = 0; i < 6; i++) limiter.pauseFor(1_000);
      expect(limiter.slowdownGapMs).toBe(100);
      await vi.advanceTimersByTimeAsync(1_000);
      limiter.pauseFor(1_000);
      expect(limiter.slowdownGapMs).toBe(200);
    });

    it('probes back up to the configured rate as requests go through', async () => {
      vi.useFakeTimers({ now: 0 });
      const limiter = new RateLimiter({ requestsPerSecond: 100 });
      limiter.pauseFor(10);
      expect(limiter.slowdownGapMs).toBe(20);
      const times = await startTimes(limiter, 80);
      expect(limiter.slowdownGapMs).toBe(0);
      // The first gaps are the slow-down's, the last ones the configured 10 ms.
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(19);
      expect(times.at(-1)! - times.at(-2)!).toBeLessThan(12);
    });

    it('gives up a request waiting for its turn when its signal aborts', async () => {
      vi.useFakeTimers({ now: 0 });
      const limiter = new RateLimiter({ concurrency: 2 });
      limiter.pauseFor(1_000);
      await vi.advanceTimersByTimeAsync(1_000);
      const first = limiter.schedule(async () => 'first');
      const controller = new AbortController();
      const second = limiter.schedule(async () => 'second', { signal: controller.signal });
      const outcome = second.catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(1);
      controller.abort(new Error('stopped'));
      await vi.runAllTimersAsync();
      expect(await first).toBe('first');
      expect(await outcome).toEqual(new Error('stopped'));
    });
  });
});
