import { setTimeout as sleep } from 'node:timers/promises';

/** How long a lost create is looked for before it is sent again. */
export const DEFAULT_RECOVERY_WINDOW_MS = 10_000;
const FIRST_DELAY_MS = 250;

/**
 * Looks a page up by key until it shows or the window has passed. A data source query sees
 * a new page only some seconds after its create returned, so one lookup right after a lost
 * answer misses a page that exists, and sending the create again would make a duplicate.
 */
export async function findCreated(
  lookup: () => Promise<string | undefined>,
  windowMs: number,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const deadline = Date.now() + windowMs;
  for (let delay = FIRST_DELAY_MS; ; delay *= 2) {
    const id = await lookup();
    if (id !== undefined) return id;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(delay, left), undefined, { signal });
  }
}
