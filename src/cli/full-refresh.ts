import type { Store } from '../store/index.js';
import type { Pipeline } from '../sync/index.js';

/**
 * Makes the next run re-read and re-write everything without truncating: cursors are
 * forgotten and so are the links with their hashes, so no record counts as unchanged. Every
 * record is looked up in the destination by key again: one found is overwritten (a hand edit
 * is repaired), one gone is created again (a hand delete is repaired), none is duplicated.
 * Returns how many linked objects there were.
 */
export async function prepareFullRefresh(
  store: Store,
  pipelines: readonly Pipeline[],
): Promise<number> {
  let links = 0;
  for (const pipeline of pipelines) {
    links += await store.deleteLinks(pipeline.name);
    await store.resetCursors(pipeline.name);
  }
  return links;
}
