import PQueue from 'p-queue';

export interface RateLimiterOptions {
  /**
   * Requests started per second, averaged over a sliding one-second window.
   * @default Infinity
   */
  requestsPerSecond?: number;
  /**
   * Requests that may start back to back, within any window of `burst / requestsPerSecond`
   * seconds. 1 spaces every start evenly, but each start is timed from the one before, so
   * every late timer (a loaded machine) is lost for good: at load 15-20 the rate fell 3-25%
   * short. With `burst` n, a late start is made up by the next n-1; the service's documented
   * budget must allow it (a token bucket of n, or n per window).
   * @default 1
   */
  burst?: number;
  /**
   * Requests in flight at once.
   * @default Infinity
   */
  concurrency?: number;
}

export interface ScheduleOptions {
  signal?: AbortSignal | undefined;
  /** Told how long the call waited for its turn. */
  onWait?: ((ms: number) => void) | undefined;
}

/**
 * Paces the requests of one credential: evenly spaced starts at the given rate, a concurrency cap,
 * and a pause of the whole queue when the service says "slow down" (429 + Retry-After).
 */
export class RateLimiter {
  readonly #queue: PQueue;
  #resumeTimer: ReturnType<typeof setTimeout> | undefined;
  #pausedUntil = 0;

  constructor(options: RateLimiterOptions = {}) {
    const perSecond = options.requestsPerSecond ?? Number.POSITIVE_INFINITY;
    const burst = Math.max(1, Math.floor(options.burst ?? 1));
    this.#queue = new PQueue({
      concurrency: options.concurrency ?? Number.POSITIVE_INFINITY,
      // One start per 1000/rate ms in a sliding window: evenly spaced. A per-second cap lets
      // the whole second's budget leave at once, and timer jitter then meets a service's token
      // bucket one token short: a 429 and a lost Retry-After.
      ...(Number.isFinite(perSecond)
        ? { intervalCap: burst, interval: Math.ceil((burst * 1000) / perSecond), strict: true }
        : {}),
    });
  }

  /** Runs `task` when the limiter allows it. */
  async schedule<T>(task: () => Promise<T>, options: ScheduleOptions = {}): Promise<T> {
    const queuedAt = performance.now();
    // A request held by a pause is work in progress: the process must not exit under it.
    this.#resumeTimer?.ref();
    return this.#queue.add(
      () => {
        options.onWait?.(performance.now() - queuedAt);
        return task();
      },
      { signal: options.signal },
    );
  }

  /** Holds every queued request for `ms` (extending, never shortening, a pause in force). */
  pauseFor(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#queue.pause();
    clearTimeout(this.#resumeTimer);
    this.#resumeTimer = setTimeout(() => {
      this.#pausedUntil = 0;
      this.#queue.start();
    }, ms);
    // With nothing queued, a pause alone must not keep a finished process alive; a request
    // queued during the pause refs the timer again (schedule()).
    if (this.#queue.size === 0) this.#resumeTimer.unref();
  }

  get pending(): number {
    return this.#queue.pending + this.#queue.size;
  }
}

const limiters = new Map<string, RateLimiter>();

/** The one limiter of a credential, shared by every pipeline and session that uses it. */
export function rateLimiterFor(credential: string, options: RateLimiterOptions): RateLimiter {
  let limiter = limiters.get(credential);
  if (!limiter) {
    limiter = new RateLimiter(options);
    limiters.set(credential, limiter);
  }
  return limiter;
}
