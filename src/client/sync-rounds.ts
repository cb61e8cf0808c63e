import { isKeepsyncError } from '../model/index.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { SyncClientError } from './errors.js';
import type { LiveLink } from './live-link.js';
import type { ConnectionState } from './options.js';
import type { PushLoop } from './push-loop.js';
import type { Replica } from './replica.js';

export interface SyncRoundsDeps {
  readonly replica: Replica;
  readonly pushLoop: PushLoop;
  /** The live stream, when the client has one. */
  readonly live: () => LiveLink | null;
  /** Whether this tab is the leader of a running client (only it syncs). */
  readonly mayRun: () => boolean;
  readonly isRunning: () => boolean;
  readonly browserOffline: () => boolean;
  readonly setConnection: (next: ConnectionState) => void;
  readonly reportError: (error: unknown) => void;
  readonly pollIntervalMs: number;
  readonly backoff: BackoffOptions | undefined;
}

/**
 * The leader's sync rounds, one at a time: a full resync when one is due, a pull, a push.
 * Requests made while a round runs are folded into one more round after it.
 */
export class SyncRounds {
  readonly #deps: SyncRoundsDeps;
  #round: Promise<void> | null = null;
  #inRounds = false;
  #again = false;
  #pullWanted = false;
  /** The running round has decided whether to pull: a `sync()` asked after that needs another round. */
  #pullDecided = false;
  #roundError: unknown = null;
  #failures = 0;
  #wakeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(deps: SyncRoundsDeps) {
    this.#deps = deps;
  }

  /** The running rounds, if any. */
  get running(): Promise<void> | null {
    return this.#round;
  }

  /** Runs a round now, or once more after the running one. */
  request(): Promise<void> {
    if (!this.#deps.mayRun()) return Promise.resolve();
    this.#again = true;
    if (this.#round) return this.#round;
    const rounds = this.#runRounds();
    // Rounds that already ended (offline, before any await) must not be remembered as running.
    if (this.#inRounds) this.#round = rounds;
    return rounds;
  }

  /**
   * Resolves once a round that pulled after this call and pushed what was queued before it is
   * over; rejects with that round's error. A round that has not yet reached its pull (e.g. the
   * first one, still in its full resync) is such a round, so no further request is made.
   */
  async sync(): Promise<void> {
    if (!this.#deps.mayRun()) return;
    this.#pullWanted = true;
    await (this.#round !== null && !this.#pullDecided ? this.#round : this.request());
    if (this.#roundError) throw this.#roundError;
  }

  wakeIn(delayMs: number): void {
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = setTimeout(() => void this.request(), delayMs);
  }

  cancelWake(): void {
    clearTimeout(this.#wakeTimer);
  }

  /** The network is back: the next retry waits the shortest delay. */
  resetBackoff(): void {
    this.#failures = 0;
  }

  /**
   * Forgets the running rounds in the same step as the loop finds no more requests: a request
   * made after that, even in the next microtask, starts new rounds instead of being folded into
   * rounds that are over.
   */
  async #runRounds(): Promise<void> {
    this.#inRounds = true;
    try {
      while (this.#again && this.#deps.isRunning()) {
        this.#again = false;
        if (!(await this.#runRound())) return;
      }
    } finally {
      // Forgotten in the same step as the loop finds no more requests: a request made after
      // that, even in the next microtask, starts new rounds instead of joining ended ones.
      this.#inRounds = false;
      this.#round = null;
    }
  }

  /** One round; false when it failed and a retry has been scheduled instead. */
  async #runRound(): Promise<boolean> {
    const { replica, pushLoop, browserOffline, setConnection, reportError } = this.#deps;
    this.#pullDecided = false;
    this.#roundError = null;
    const live = this.#deps.live();
    try {
      if (browserOffline()) {
        throw new SyncClientError('OFFLINE', 'The browser is offline');
      }
      // Pull first: the app sees the server's state even while a push keeps failing.
      if (replica.needsResync) await replica.fullResync();
      this.#pullDecided = true;
      if (!live?.live || this.#pullWanted) {
        this.#pullWanted = false;
        await replica.pullAll();
      }
      await pushLoop.run();
      this.#failures = 0;
      if (!live?.live) {
        setConnection('online');
        this.wakeIn(this.#deps.pollIntervalMs);
      }
      live?.connect();
      return true;
    } catch (error) {
      if (!this.#deps.isRunning()) return false;
      this.#roundError = error;
      if (isKeepsyncError(error) && error.code === 'OFFLINE') setConnection('offline');
      else reportError(error);
      // Offline in the browser: the `online` event wakes us; otherwise retry with backoff.
      if (!browserOffline()) this.wakeIn(backoffDelay(this.#failures++, this.#deps.backoff));
      return false;
    }
  }
}
