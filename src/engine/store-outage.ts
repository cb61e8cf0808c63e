/**
 * How long the engine waits before polling its store again after the store failed `failures`
 * times in a row: doubling from the poll interval, capped so a store that is back is noticed
 * within a few seconds.
 */
export function storeRetryDelayMs(failures: number, pollIntervalMs: number, maxMs: number): number {
  const doubled = pollIntervalMs * 2 ** Math.min(Math.max(failures - 1, 0), 16);
  return Math.min(Math.max(doubled, pollIntervalMs), Math.max(maxMs, pollIntervalMs));
}
