import { randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;
/** The id's time part for `lastMs`, made once per millisecond. */
let timePrefix = '';

/**
 * A new pair id: a UUIDv7 (RFC 9562), the millisecond time first and a 12-bit counter after it
 * so ids made in one process sort in the order they were made. The pairs table is keyed by
 * id, so new pairs land at the end of its B-tree: with random ids each batch's commit
 * rewrote about one page per pair. The random bits are node's pooled `randomUUID` ones (a
 * random-bytes call per id costs more than the rest of the id).
 */
export function newPairId(): string {
  let ms = Date.now();
  if (ms > lastMs) {
    counter = 0;
  } else {
    // Same millisecond, or the clock stepped back: count on from the last id.
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      ms++;
      counter = 0;
    }
  }
  if (ms !== lastMs) {
    const time = ms.toString(16).padStart(12, '0');
    timePrefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
  }
  lastMs = ms;
  // randomUUID() is xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: keep its variant and last 62 bits.
  const random = randomUUID().slice(19);
  return `${timePrefix}${counter.toString(16).padStart(3, '0')}-${random}`;
}
