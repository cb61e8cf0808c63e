import { deletedOn } from './plan-current.js';
import { planUnlinked } from './plan-match.js';
import { planPair } from './plan-pairs.js';
import type { PairAction, Plan, PlanContext, PlanInput } from './plan-types.js';
import type { ConflictRow, PairState } from './types.js';

export type { PairAction, Plan, PlanInput, SideRead } from './plan-types.js';

/**
 * The three-way merge of one run, without I/O: for every linked pair, compares each side
 * with the base field by field; matches and creates unlinked objects; applies the delete
 * policies and the conflict rule. Values are compared deeply (canonical JSON), timestamps
 * are those captured when reading, and both sides changed to the same value is no conflict.
 */
export function planTwoWay(input: PlanInput): Plan {
  const { task } = input;
  const conflictsByPair = new Map<string, ConflictRow[]>();
  for (const row of input.conflicts) {
    const list = conflictsByPair.get(row.pairId) ?? [];
    list.push(row);
    conflictsByPair.set(row.pairId, list);
  }
  const ctx: PlanContext = {
    task,
    fields: task.fields,
    reads: { left: input.left, right: input.right },
    report: { matched: 0, ambiguous: 0, unchanged: input.quietPairs ?? 0, conflictsOpen: 0 },
    conflictsByPair,
  };
  const linked = { left: new Set<string>(), right: new Set<string>() };
  for (const pair of input.pairs) {
    if (pair.leftKey !== null) linked.left.add(pair.leftKey);
    if (pair.rightKey !== null) linked.right.add(pair.rightKey);
  }

  const guard = deleteGuard(ctx, input);
  if (guard) {
    return {
      actions: [],
      settled: [],
      report: ctx.report,
      ambiguous: { left: [], right: [] },
      guard,
    };
  }

  const actions: PairAction[] = [];
  for (const pair of input.pairs) {
    const action = planPair(ctx, pair);
    if (action) actions.push(action);
  }
  const settled: PairState[] = [];
  const ambiguous = planUnlinked(ctx, linked, { actions, settled });
  return { actions, settled, report: ctx.report, ambiguous, guard: null };
}

/** Deletions seen on each side, counted before anything is planned; a message when too many. */
function deleteGuard(ctx: PlanContext, input: PlanInput): string | null {
  const { task } = ctx;
  const deletions = { left: 0, right: 0 };
  let linkedPairs = input.quietPairs ?? 0;
  for (const pair of input.pairs) {
    if (pair.leftKey === null || pair.rightKey === null) continue;
    linkedPairs++;
    for (const side of ['left', 'right'] as const) {
      if (deletedOn(ctx, pair, side)) deletions[side]++;
    }
  }
  let guard: string | null = null;
  if (linkedPairs >= task.deleteGuard.minPairs) {
    for (const side of ['left', 'right'] as const) {
      if (deletions[side] > task.deleteGuard.maxShare * linkedPairs) {
        const name = task[side].name;
        guard = `Refusing to run two-way task ${task.name}: ${deletions[side]} of ${linkedPairs} linked objects are gone from the ${side} side (${name}), more than deleteGuard.maxShare ${task.deleteGuard.maxShare}; check the ${side} side, or raise the limit`;
      }
    }
  }
  return guard;
}
