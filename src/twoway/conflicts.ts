import type { Store } from '../store/index.js';
import { type ConflictFilter, twoWayStore } from './store.js';
import { type ConflictDecision, type ConflictRow, TWO_WAY_UNIT } from './types.js';

/** Conflicts waiting for a person (and, on request, decided or resolved ones). */
export function listConflicts(store: Store, filter: ConflictFilter = {}): Promise<ConflictRow[]> {
  return twoWayStore(store).listConflicts(filter);
}

/**
 * Decides an open conflict: take the left value, the right value, or a value of your own
 * (in the left side's representation). The task's next run writes it to both sides and
 * unfreezes the pair; a sync is requested so a running engine does it at once.
 */
export async function resolveConflict(
  store: Store,
  id: number,
  decision: ConflictDecision,
): Promise<ConflictRow> {
  const row = await twoWayStore(store).decideConflict(id, decision);
  if (await store.getUnit(row.task, TWO_WAY_UNIT)) {
    await store.requestSync(row.task, TWO_WAY_UNIT, null);
  }
  return row;
}
