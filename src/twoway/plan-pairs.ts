import { del, hasKeys, samePair, simple, upsert } from './plan-actions.js';
import { currentOf, remember } from './plan-current.js';
import { conflictOf, decidedOf, mergeFields } from './plan-merge.js';
import type { Counter, Current, PairAction, PlanContext, Present } from './plan-types.js';
import {
  type ConflictRow,
  type ConflictWrite,
  otherSide,
  type PairState,
  type Side,
} from './types.js';
import { convert, sameValue } from './values.js';

/** The action for one stored pair (linked or detached), or null when nothing is to be done. */
export function planPair(ctx: PlanContext, pair: PairState): PairAction | null {
  const { report } = ctx;
  const l = currentOf(ctx, pair, 'left');
  const r = currentOf(ctx, pair, 'right');
  const rows = ctx.conflictsByPair.get(pair.id) ?? [];
  // Neither side read nor remembered: nothing can have changed (incremental reads).
  if (l.kind === 'present' && !l.fresh && r.kind === 'present' && !r.fresh) {
    if (rows.length === 0 && pair.pending === null && !pair.inflight) {
      report.unchanged++;
      return null;
    }
  }

  // A detached pair remembers an unlinked object until that object is gone too.
  if (pair.leftKey === null || pair.rightKey === null) {
    const side: Side = pair.leftKey === null ? 'right' : 'left';
    const current = side === 'left' ? l : r;
    if (current.kind !== 'deleted') return null;
    return simple(pair, { after: null });
  }

  // A pair with an open conflict is not touched until a person decides.
  const open = rows.filter((row) => row.state === 'open');
  if (open.length > 0) {
    const settled: number[] = [];
    const refreshed: ConflictWrite[] = [];
    if (l.kind === 'present' && r.kind === 'present') {
      for (const row of open) {
        const field = ctx.fields.find((candidate) => candidate.left === row.field);
        if (!field) {
          settled.push(row.id);
          continue;
        }
        const lv = l.values[field.left] ?? null;
        const rv = r.values[field.right] ?? null;
        if (sameValue(lv, field.toLeft(rv))) settled.push(row.id);
        else if (!sameValue(lv, row.leftValue) || !sameValue(rv, row.rightValue)) {
          refreshed.push({ ...conflictOf(pair, field, lv, rv), baseValue: row.baseValue });
        }
      }
    }
    if (settled.length < open.length) {
      if (l.kind === 'present' && r.kind === 'present') {
        // Report every conflicting field while the pair waits, not one decision at a time.
        const known = new Set(
          rows.filter((row) => row.state !== 'resolved').map((row) => row.field),
        );
        const more = mergeFields(ctx, pair, l, r, pair.base, decidedOf(rows)).manual.filter(
          (conflict) => !known.has(conflict.field),
        );
        refreshed.push(...more);
        report.conflictsOpen += more.length;
      }
      report.conflictsOpen += open.length - settled.length;
      const after = remember(pair, l, r);
      if (settled.length === 0 && refreshed.length === 0 && samePair(after, pair)) return null;
      return simple(pair, { after, conflicts: refreshed, resolved: settled });
    }
    // Every open conflict converged on its own: merge as usual below.
    return planLinked(ctx, pair, l, r, rows, settled);
  }
  return planLinked(ctx, pair, l, r, rows, []);
}

function planLinked(
  ctx: PlanContext,
  pair: PairState,
  l: Current,
  r: Current,
  rows: readonly ConflictRow[],
  alreadySettled: readonly number[],
): PairAction | null {
  const { fields, report } = ctx;
  // A create that may not have happened (its object was not seen): finish it from the
  // partner's values. When the object is there, the create happened: merge as usual
  // against the base it was created with, so edits made to it since are kept.
  const pendingCurrent = pair.pending === 'left' ? l : pair.pending === 'right' ? r : null;
  if (pair.pending !== null && pendingCurrent?.kind === 'missing') {
    const target = pair.pending;
    const from = otherSide(target);
    const source = from === 'left' ? l : r;
    if (source.kind === 'deleted' || source.kind === 'missing') {
      return simple(pair, { after: null, [target]: del(pair, target) });
    }
    const values = source.values;
    const converted = convert(fields, from, values);
    const base =
      from === 'left' ? { left: values, right: converted } : { left: converted, right: values };
    const settled: PairState = { ...pair, base, leftSeen: null, rightSeen: null, pending: null };
    return {
      pairId: pair.id,
      before: null,
      left: target === 'left' ? upsert(pair.leftKey!, converted) : null,
      right: target === 'right' ? upsert(pair.rightKey!, converted) : null,
      after: settled,
      onFailure: pair,
      conflicts: [],
      resolved: alreadySettled,
      counts: [target === 'left' ? 'createdLeft' : 'createdRight'],
    };
  }

  if (l.kind !== 'present' || r.kind !== 'present') {
    // A deletion makes the pair's conflicts moot: they are settled with it.
    const moot = rows.map((row) => row.id);
    if (l.kind !== 'present' && r.kind !== 'present') {
      return simple(pair, { after: null, resolved: moot });
    }
    const deletedSide: Side = l.kind === 'present' ? 'right' : 'left';
    const action = planDelete(ctx, pair, deletedSide, (deletedSide === 'left' ? r : l) as Present);
    return { ...action, resolved: moot };
  }

  const decisions = decidedOf(rows);
  const merged = mergeFields(ctx, pair, l, r, pair.base, decisions);
  if (merged.manual.length > 0) {
    report.conflictsOpen += merged.manual.length;
    return simple(pair, {
      after: remember(pair, l, r),
      conflicts: merged.manual,
      resolved: alreadySettled,
      counts: merged.manual.map(() => 'conflicts' as const),
    });
  }
  const after: PairState = {
    ...pair,
    base: merged.base,
    leftSeen: null,
    rightSeen: null,
    pending: null,
  };
  const resolved = [...alreadySettled, ...[...decisions.values()].map((entry) => entry.id)];
  const leftWrite = hasKeys(merged.leftPatch) ? upsert(pair.leftKey!, merged.leftPatch) : null;
  const rightWrite = hasKeys(merged.rightPatch) ? upsert(pair.rightKey!, merged.rightPatch) : null;
  const settledBefore = pair.leftSeen === null && pair.rightSeen === null && pair.pending === null;
  if (!merged.touched && !leftWrite && !rightWrite && resolved.length === 0 && settledBefore) {
    report.unchanged++;
    return null;
  }
  const counts: Counter[] = merged.conflicts.map(() => 'conflicts' as const);
  if (leftWrite) counts.push('updatedLeft');
  if (rightWrite) counts.push('updatedRight');
  if (!leftWrite && !rightWrite) counts.push('unchanged');
  return {
    pairId: pair.id,
    before: null,
    left: leftWrite,
    right: rightWrite,
    after,
    onFailure: remember(pair, l, r),
    conflicts: [],
    resolved,
    counts,
  };
}

function planDelete(
  ctx: PlanContext,
  pair: PairState,
  deleted: Side,
  partner: Present,
): PairAction {
  const { fields, task } = ctx;
  const survivor = otherSide(deleted);
  const policy = task.deletes[deleted];
  const survivorKey = (survivor === 'left' ? pair.leftKey : pair.rightKey)!;
  const deletedKey = (deleted === 'left' ? pair.leftKey : pair.rightKey)!;
  const edited = fields.some((field) => {
    const name = survivor === 'left' ? field.left : field.right;
    return !sameValue(partner.values[name], pair.base[survivor][name]);
  });
  if (policy === 'ignore') {
    const detached: PairState = {
      ...pair,
      leftKey: survivor === 'left' ? survivorKey : null,
      rightKey: survivor === 'right' ? survivorKey : null,
      leftSeen: null,
      rightSeen: null,
      pending: null,
    };
    return simple(pair, { after: detached, counts: ['unlinked'] });
  }
  if (policy === 'propagate' && !edited) {
    return simple(pair, {
      after: null,
      [survivor]: { kind: 'delete', key: survivorKey },
      counts: [survivor === 'left' ? 'deletedLeft' : 'deletedRight'],
    });
  }
  // restore, or propagate racing an edit: the edit wins, the deleted object comes back.
  const values = convert(fields, survivor, partner.values);
  const base =
    survivor === 'left'
      ? { left: partner.values, right: values }
      : { left: values, right: partner.values };
  return {
    pairId: pair.id,
    before: null,
    left: deleted === 'left' ? upsert(deletedKey, values) : null,
    right: deleted === 'right' ? upsert(deletedKey, values) : null,
    after: { ...pair, base, leftSeen: null, rightSeen: null, pending: null },
    onFailure: remember(
      pair,
      deleted === 'left' ? { kind: 'deleted' } : partner,
      deleted === 'right' ? { kind: 'deleted' } : partner,
    ),
    conflicts: [],
    resolved: [],
    counts: [deleted === 'left' ? 'restoredLeft' : 'restoredRight'],
  };
}
