import { setTimeout as sleep } from 'node:timers/promises';

/**
 * SQLite's own busy handler sleeps on the calling thread, which for better-sqlite3 is the
 * event loop: a long `busy_timeout` froze a whole process (timers, signals, lease renewal)
 * while another process wrote. So each connection waits synchronously only this long, and
 * the rest of the wait happens here, asynchronously.
 */
export const SQLITE_SYNC_BUSY_MS = 20;

const FIRST_DELAY_MS = 5;
const MAX_DELAY_MS = 200;

/** Whether better-sqlite3 gave up because another connection held the lock. */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

export interface BusyWaitOptions {
  /** How long to keep trying in all before failing. */
  readonly totalMs: number;
  /** Names the database in the error, e.g. "The SQLite store state.db". */
  readonly what: string;
}

/** Runs synchronous work on the store's connection, waiting while another process writes. */
export type WhenFree = <T>(work: () => T) => Promise<T>;

/**
 * Runs a synchronous SQLite operation, retrying it with backoff (off the event loop) while
 * another process holds the lock. A busy statement or BEGIN IMMEDIATE changed nothing, so
 * running it again is safe.
 */
export async function retryWhileBusy<T>(work: () => T, options: BusyWaitOptions): Promise<T> {
  const started = performance.now();
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(MAX_DELAY_MS, delay * 2)) {
    try {
      return work();
    } catch (error) {
      if (!isSqliteBusy(error)) throw error;
      const waited = performance.now() - started;
      if (waited >= options.totalMs) {
        // The driver's error (code SQLITE_BUSY) goes on, so callers still see it as transient.
        (error as Error).message +=
          ` (${options.what} stayed locked by another process for ${Math.round(waited)} ms)`;
        throw error;
      }
      // Jitter, so two waiting processes do not retry in lockstep.
      await sleep(delay / 2 + Math.random() * delay);
    }
  }
}
