import type { PullQuery } from './types.js';

/**
 * A full page continues from its last entry; a short one from the scope's highest seq, so a
 * client skips past entries of other collections.
 */
export function pageEnd(
  query: PullQuery,
  count: number,
  lastEntrySeq: number,
  top: number,
): { lastSeq: number; hasMore: boolean } {
  const full = count === query.limit;
  const lastSeq = full ? lastEntrySeq : Math.max(top, query.afterSeq);
  return { lastSeq, hasMore: full && lastSeq < top };
}
