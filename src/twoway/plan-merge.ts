import type { NeutralValue } from '../model/index.js';
import type { ConflictChoice, ResolvedField } from './define.js';
import type { PlanContext, Present } from './plan-types.js';
import type { ConflictDecision, ConflictRow, ConflictWrite, PairState } from './types.js';
import { sameValue } from './values.js';

export interface Merged {
  base: { left: Record<string, NeutralValue>; right: Record<string, NeutralValue> };
  leftPatch: Record<string, NeutralValue>;
  rightPatch: Record<string, NeutralValue>;
  /** Conflicts settled by the rule. */
  conflicts: string[];
  /** Conflicts left to a person. */
  manual: ConflictWrite[];
  /** Some field changed on a side (so the base moves), or a decision applied. */
  touched: boolean;
}

/** Field by field; `base` null means a first match, where every difference is a conflict. */
export function mergeFields(
  ctx: PlanContext,
  pair: PairState,
  l: Present,
  r: Present,
  base: PairState['base'] | null,
  decisions: ReadonlyMap<string, { decision: ConflictDecision }>,
): Merged {
  const nextLeft: Record<string, NeutralValue> = { ...(base?.left ?? {}) };
  const nextRight: Record<string, NeutralValue> = { ...(base?.right ?? {}) };
  const merged: Merged = {
    base: { left: nextLeft, right: nextRight },
    leftPatch: {},
    rightPatch: {},
    conflicts: [],
    manual: [],
    touched: false,
  };
  for (const field of ctx.fields) {
    const lv = l.values[field.left] ?? null;
    const rv = r.values[field.right] ?? null;
    const decided = decisions.get(field.left);
    if (decided) {
      merged.touched = true;
      const { decision } = decided;
      const value =
        decision.take === 'value'
          ? decision.value
          : decision.take === 'left'
            ? lv
            : field.toLeft(rv);
      settle(merged, field, value, lv, rv);
      continue;
    }
    const leftChanged = base === null || !sameValue(lv, base.left[field.left]);
    const rightChanged = base === null || !sameValue(rv, base.right[field.right]);
    if (!leftChanged && !rightChanged) continue;
    merged.touched = true;
    if (leftChanged && !rightChanged) {
      nextLeft[field.left] = lv;
      toRight(merged, field, field.toRight(lv));
      continue;
    }
    if (!leftChanged && rightChanged) {
      nextRight[field.right] = rv;
      toLeft(merged, field, field.toLeft(rv));
      continue;
    }
    const rightAsLeft = field.toLeft(rv);
    if (sameValue(lv, rightAsLeft)) {
      // Both changed to the same value: converged, nothing to write.
      nextLeft[field.left] = lv;
      nextRight[field.right] = rv;
      continue;
    }
    const choice = choose(ctx, pair, field, l, r, lv, rv, rightAsLeft, base);
    if (choice === 'manual') {
      merged.manual.push(conflictOf(pair, field, lv, rv, base?.left[field.left] ?? null));
      if (base === null) {
        delete nextLeft[field.left];
        delete nextRight[field.right];
      }
      continue;
    }
    merged.conflicts.push(field.left);
    const value = choice === 'left' ? lv : choice === 'right' ? rightAsLeft : choice.value;
    settle(merged, field, value, lv, rv);
  }
  return merged;
}

// Module functions, not closures per call: mergeFields runs once per pair.
function toLeft(merged: Merged, field: ResolvedField, value: NeutralValue): void {
  merged.leftPatch[field.left] = value;
  merged.base.left[field.left] = value;
}

function toRight(merged: Merged, field: ResolvedField, value: NeutralValue): void {
  merged.rightPatch[field.right] = value;
  merged.base.right[field.right] = value;
}

/** Makes `value` (left representation) the field's value on both sides. */
function settle(
  merged: Merged,
  field: ResolvedField,
  value: NeutralValue,
  lv: NeutralValue,
  rv: NeutralValue,
): void {
  if (sameValue(value, lv)) merged.base.left[field.left] = lv;
  else toLeft(merged, field, value);
  const rightValue = field.toRight(value);
  if (sameValue(field.toLeft(rv), value)) merged.base.right[field.right] = rv;
  else toRight(merged, field, rightValue);
}

function choose(
  ctx: PlanContext,
  pair: PairState,
  field: ResolvedField,
  l: Present,
  r: Present,
  lv: NeutralValue,
  rv: NeutralValue,
  rightAsLeft: NeutralValue,
  base: PairState['base'] | null,
): ConflictChoice {
  const rule = ctx.task.conflict;
  switch (rule) {
    case 'left-wins':
      return 'left';
    case 'right-wins':
      return 'right';
    case 'manual':
      return 'manual';
    case 'newer':
      // Timestamps captured at read time, per object; a tie or a missing time goes left.
      return (r.updatedMs ?? Number.NEGATIVE_INFINITY) > (l.updatedMs ?? Number.NEGATIVE_INFINITY)
        ? 'right'
        : 'left';
    default:
      return rule({
        task: ctx.task.name,
        field: field.left,
        rightField: field.right,
        leftKey: pair.leftKey!,
        rightKey: pair.rightKey!,
        left: lv,
        right: rv,
        rightAsLeft,
        base: base === null ? null : (base.left[field.left] ?? null),
        leftUpdatedAt: l.updatedMs === null ? null : new Date(l.updatedMs),
        rightUpdatedAt: r.updatedMs === null ? null : new Date(r.updatedMs),
      });
  }
}

/** A pair's decided conflicts by field. */
export function decidedOf(
  rows: readonly ConflictRow[],
): Map<string, { id: number; decision: ConflictDecision }> {
  const decisions = new Map<string, { id: number; decision: ConflictDecision }>();
  for (const row of rows) {
    if (row.state === 'decided' && row.decision) {
      decisions.set(row.field, { id: row.id, decision: row.decision });
    }
  }
  return decisions;
}

export function conflictOf(
  pair: PairState,
  field: ResolvedField,
  leftValue: NeutralValue,
  rightValue: NeutralValue,
  baseValue: NeutralValue = null,
): ConflictWrite {
  return {
    pairId: pair.id,
    leftKey: pair.leftKey,
    rightKey: pair.rightKey,
    field: field.left,
    leftValue,
    rightValue,
    baseValue,
  };
}
