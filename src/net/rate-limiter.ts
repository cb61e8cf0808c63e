import PQueue from 'p-queue';
import { sleep } from './retry.js';

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

/** The first spacing a "slow down" imposes on a limiter with no (or a fast) configured rate. */
const FIRST_SLOWDOWN_GAP_MS = 10;
/** The widest spacing repeated "slow down" answers can push a limiter to. */
const MAX_SLOWDOWN_GAP_MS = 10_000;
/** Each start after a slow-down narrows the spacing by this factor, probing back up. */
const RECOVERY_PER_START = 0.99;

/**
 * Paces the requests of one credential: evenly spaced starts at the given rate, a concurrency cap,
 * and a pause of the whole queue when the service says "slow down" (429 + Retry-After).
 *
 * A pause alone would release every held request at once when it ends, and a service whose
 * budget is smaller than the configured rate (another client shares the credential, or a
 * plan's lower limit) then answers all but its bucket's few with another 429: throughput falls
 * to a few requests per Retry-After. So each "slow down" also doubles a spacing between starts,
 * and every start narrows it by 1% until the configured rate takes over again: a quick
 * decrease and a gradual increase, the idea of AWS SDKs' adaptive retry mode.
 */
export class RateLimiter {
  readonly #queue: PQueue;
  readonly #configuredGapMs: number;
  #resumeTimer: ReturnType<typeof setTimeout> | undefined;
  #pausedUntil = 0;
  /** The spacing a "slow down" imposed; 0 when the configured rate alone paces. */
  #slowdownGapMs = 0;
  #nextStartAt = 0;

  constructor(options: RateLimiterOptions = {}) {
    const perSecond = options.requestsPerSecond ?? Number.POSITIVE_INFINITY;
    const burst = Math.max(1, Math.floor(options.burst ?? 1));
    this.#configuredGapMs = Number.isFinite(perSecond) ? 1000 / perSecond : 0;
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
        const start = () => {
          options.onWait?.(performance.now() - queuedAt);
          return task();
        };
        // Without a pause or a slow-down in force the task starts in this very turn.
        const held = this.#pausedUntil !== 0 || this.#slowdownGapMs > 0;
        return held ? this.#slowdownTurn(options.signal).then(start) : start();
      },
      { signal: options.signal },
    );
  }

  /** Waits out a pause that began after the queue let this request go, and the slow-down spacing. */
  async #slowdownTurn(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (this.#pausedUntil > now) {
        await sleep(Math.ceil(this.#pausedUntil - now), signal);
        continue;
      }
      if (this.#slowdownGapMs === 0) return;
      if (this.#nextStartAt > now) {
        await sleep(Math.ceil(this.#nextStartAt - now), signal);
        continue;
      }
      this.#nextStartAt = now + this.#slowdownGapMs;
      this.#slowdownGapMs *= RECOVERY_PER_START;
      if (this.#slowdownGapMs <= this.#configuredGapMs) this.#slowdownGapMs = 0;
      return;
    }
  }

  /** The spacing between starts a "slow down" imposed, in ms; 0 when there is none. */
  get slowdownGapMs(): number {
    return this.#slowdownGapMs;
  }

  /** Holds every queued request for `ms` (extending, never shortening, a pause in force). */
  pauseFor(ms: number): void {
    const now = Date.now();
    const until = now + ms;
    // The other answers of the burst that met the same exhausted budget are one slow-down.
    if (this.#pausedUntil <= now) this.#slowDown();
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

  /** Halves the rate in force: the one a slow-down left, else the configured one (at most 100/s). */
  #slowDown(): void {
    const doubled = Math.max(this.#slowdownGapMs, this.#configuredGapMs) * 2;
    this.#slowdownGapMs = Math.min(MAX_SLOWDOWN_GAP_MS, Math.max(FIRST_SLOWDOWN_GAP_MS, doubled));
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
