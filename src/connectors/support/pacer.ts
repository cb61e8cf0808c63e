import { sleep } from '../../net/index.js';

/** The next free start time per credential (performance.now() ms). */
const nextSlot = new Map<string, number>();

/**
 * Spreads the requests of one credential evenly, one every `1000 / requestsPerSecond` ms.
 * A per-second window alone lets three requests leave together at the start of each second,
 * and a little timer jitter then meets a service's token bucket one token short: a 429, and a
 * whole second lost to its Retry-After. Returns how long the caller waited.
 */
export async function waitForSlot(
  credential: string,
  requestsPerSecond: number,
  signal?: AbortSignal,
): Promise<number> {
  if (!Number.isFinite(requestsPerSecond)) return 0;
  const now = performance.now();
  const start = Math.max(
    now,
    (nextSlot.get(credential) ?? Number.NEGATIVE_INFINITY) + 1000 / requestsPerSecond,
  );
  nextSlot.set(credential, start);
  const wait = start - now;
  if (wait > 0) await sleep(wait, signal);
  return wait;
}
