import { randomUUID } from 'node:crypto';
import { canonicalJson, type NeutralValue, type SyncRecord } from '../model/index.js';
import type { ConflictChoice, MatchRecord, ResolvedField, TwoWayTask } from './define.js';
import {
  type ConflictDecision,
  type ConflictRow,
  type ConflictWrite,
  type FieldValues,
  otherSide,
  type PairState,
  type Side,
  type SideSnapshot,
  type SideWrite,
  type TwoWayReport,
} from './types.js';
import { convert, project, sameValue } from './values.js';

/** What one side's read returned. */
export interface SideRead {
  /** Records by key, tombstones included. */
  readonly records: ReadonlyMap<string, SyncRecord>;
  /** A full listing: a linked key missing from `records` was deleted. */
  readonly complete: boolean;
  /** Every live key (from `listKeys()`), when the side has them. */
  readonly liveKeys: ReadonlySet<string> | null;
}

export interface PlanInput {
  readonly task: TwoWayTask;
  /** Every pair of the task. */
  readonly pairs: readonly PairState[];
  readonly left: SideRead;
  readonly right: SideRead;
  /** The task's open and decided conflicts. */
  readonly conflicts: readonly ConflictRow[];
}

type Counter = Exclude<keyof TwoWayReport, 'readLeft' | 'readRight'>;

/** Everything one pair needs: its writes, and what the store keeps before and after them. */
export interface PairAction {
  readonly pairId: string;
  /** Committed before the writes: a pair whose `pending` object is about to be created. */
  readonly before: PairState | null;
  readonly left: SideWrite | null;
  readonly right: SideWrite | null;
  /** The pair once the writes succeed; null removes it. */
  readonly after: PairState | null;
  /** The pair if a write fails: the old base plus the values read, so no edit is lost. */
  readonly onFailure: PairState | null;
  readonly conflicts: readonly ConflictWrite[];
  /** Conflicts settled by this action (ids). */
  readonly resolved: readonly number[];
  /** Counted when the writes succeed. */
  readonly counts: readonly Counter[];
}

export interface Plan {
  readonly actions: PairAction[];
  /** Matching and bookkeeping counts that do not depend on writes. */
  readonly report: Pick<TwoWayReport, 'matched' | 'ambiguous' | 'unchanged' | 'conflictsOpen'>;
  /** Keys left alone because several objects share a match key. */
  readonly ambiguous: { readonly left: string[]; readonly right: string[] };
  /** Set when the delete guard stopped the run: nothing may be written. */
  readonly guard: string | null;
}

type Current =
  | {
      readonly kind: 'present';
      readonly values: FieldValues;
      readonly updatedMs: number | null;
      /** Read in this run (or remembered as seen), as opposed to assumed equal to the base. */
      readonly fresh: boolean;
    }
  | { readonly kind: 'deleted' }
  /** A pending create not yet seen: the object may or may not exist. */
  | { readonly kind: 'missing' };

const EMPTY: FieldValues = {};

/**
 * The three-way merge of one run, without I/O: for every linked pair, compares each side
 * with the base field by field; matches and creates unlinked objects; applies the delete
 * policies and the conflict rule. Values are compared deeply (canonical JSON), timestamps
 * are those captured when reading, and both sides changed to the same value is no conflict.
 */
export function planTwoWay(input: PlanInput): Plan {
  const { task, left, right } = input;
  const reads = { left, right };
  const fields = task.fields;
  const actions: PairAction[] = [];
  const report = { matched: 0, ambiguous: 0, unchanged: 0, conflictsOpen: 0 };
  const conflictsByPair = new Map<string, ConflictRow[]>();
  for (const row of input.conflicts) {
    const list = conflictsByPair.get(row.pairId) ?? [];
    list.push(row);
    conflictsByPair.set(row.pairId, list);
  }
  const linked = { left: new Set<string>(), right: new Set<string>() };
  for (const pair of input.pairs) {
    if (pair.leftKey !== null) linked.left.add(pair.leftKey);
    if (pair.rightKey !== null) linked.right.add(pair.rightKey);
  }

  // --- delete guard: deletions seen on each side, before anything is planned.
  const deletions = { left: 0, right: 0 };
  let linkedPairs = 0;
  for (const pair of input.pairs) {
    if (pair.leftKey === null || pair.rightKey === null) continue;
    linkedPairs++;
    for (const side of ['left', 'right'] as const) {
      if (deletedOn(pair, side)) deletions[side]++;
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
  if (guard) return { actions: [], report, ambiguous: { left: [], right: [] }, guard };

  // --- linked pairs
  for (const pair of input.pairs) {
    const action = planPair(pair);
    if (action) actions.push(action);
  }

  // --- unlinked objects: match, then create on the other side
  const unlinked = { left: new Map<string, MatchRecord>(), right: new Map<string, MatchRecord>() };
  for (const side of ['left', 'right'] as const) {
    for (const [key, record] of reads[side].records) {
      if (record.deleted || linked[side].has(key)) continue;
      const own = project(fields, side, record.fields);
      unlinked[side].set(key, {
        key,
        values: side === 'left' ? own : convert(fields, 'right', own),
        record,
      });
    }
  }
  const matches: Array<[MatchRecord, MatchRecord]> = [];
  const take = (leftKey: string, rightKey: string) => {
    const l = unlinked.left.get(leftKey);
    const r = unlinked.right.get(rightKey);
    if (!l || !r) return;
    matches.push([l, r]);
    unlinked.left.delete(leftKey);
    unlinked.right.delete(rightKey);
  };
  for (const [leftKey, rightKey] of task.match.keys) take(leftKey, rightKey);
  if (task.match.sameKey) {
    for (const key of [...unlinked.left.keys()]) if (unlinked.right.has(key)) take(key, key);
  }
  const ambiguous = { left: [] as string[], right: [] as string[] };
  if (task.match.by) {
    const groups = new Map<string, { left: MatchRecord[]; right: MatchRecord[] }>();
    for (const side of ['left', 'right'] as const) {
      for (const record of unlinked[side].values()) {
        const matchKey = matchKeyOf(task, record, side);
        if (matchKey === null) continue;
        const group = groups.get(matchKey) ?? { left: [], right: [] };
        group[side].push(record);
        groups.set(matchKey, group);
      }
    }
    for (const group of groups.values()) {
      if (group.left.length === 0 || group.right.length === 0) continue;
      if (group.left.length === 1 && group.right.length === 1) {
        take(group.left[0]!.key, group.right[0]!.key);
        continue;
      }
      for (const side of ['left', 'right'] as const) {
        for (const record of group[side]) {
          ambiguous[side].push(record.key);
          unlinked[side].delete(record.key);
        }
      }
    }
    report.ambiguous = ambiguous.left.length + ambiguous.right.length;
  }
  for (const [l, r] of matches) {
    report.matched++;
    actions.push(planMatch(l, r));
  }
  const taken = {
    left: new Set([...linked.left, ...left.records.keys(), ...ambiguous.left]),
    right: new Set([...linked.right, ...right.records.keys(), ...ambiguous.right]),
  };
  for (const side of ['left', 'right'] as const) {
    for (const record of unlinked[side].values()) actions.push(planCreate(side, record, taken));
  }
  return { actions, report, ambiguous, guard: null };

  // ---------------------------------------------------------------------------------------

  function currentOf(pair: PairState, side: Side): Current {
    const key = side === 'left' ? pair.leftKey : pair.rightKey;
    if (key === null) return { kind: 'deleted' };
    const read = reads[side];
    const record = read.records.get(key);
    if (record) {
      if (record.deleted) return { kind: 'deleted' };
      const current: Present = {
        kind: 'present',
        values: project(fields, side, record.fields),
        updatedMs: record.updatedAt?.getTime() ?? null,
        fresh: true,
      };
      return pair.inflight?.[side] ? beforeOurWrite(pair, side, current) : current;
    }
    const gone = read.complete || (read.liveKeys !== null && !read.liveKeys.has(key));
    if (pair.pending === side) return { kind: 'missing' };
    if (gone) return { kind: 'deleted' };
    const seen = side === 'left' ? pair.leftSeen : pair.rightSeen;
    if (seen) {
      return seen.deleted
        ? { kind: 'deleted' }
        : { kind: 'present', values: seen.values, updatedMs: seen.updatedMs, fresh: true };
    }
    return { kind: 'present', values: pair.base[side], updatedMs: null, fresh: false };
  }

  /**
   * After a crash between a write and its checkpoint, a field holding exactly the value that
   * write carried holds keepsync's own write, not a person's edit: it counts as the value it
   * had before (what was read then), so the merge is planned again as it was.
   */
  function beforeOurWrite(pair: PairState, side: Side, current: Present): Present {
    const written = pair.inflight?.[side];
    if (!written) return current;
    const seen = side === 'left' ? pair.leftSeen : pair.rightSeen;
    const previous = seen && !seen.deleted ? seen.values : pair.base[side];
    let values: Record<string, NeutralValue> | null = null;
    for (const [name, candidates] of Object.entries(written)) {
      if (!(name in current.values)) continue;
      if (!candidates.some((value) => sameValue(current.values[name], value))) continue;
      values ??= { ...current.values };
      values[name] = previous[name] ?? null;
    }
    if (!values) return current;
    return { ...current, values, updatedMs: seen?.updatedMs ?? null };
  }

  /** Whether the side's object is gone (cheap: no projection). */
  function deletedOn(pair: PairState, side: Side): boolean {
    const key = side === 'left' ? pair.leftKey : pair.rightKey;
    if (key === null) return true;
    const read = reads[side];
    const record = read.records.get(key);
    if (record) return record.deleted === true;
    if (pair.pending === side) return false;
    if (read.complete || (read.liveKeys !== null && !read.liveKeys.has(key))) return true;
    return (side === 'left' ? pair.leftSeen : pair.rightSeen)?.deleted === true;
  }

  function snapshot(current: Current): SideSnapshot | null {
    if (current.kind === 'deleted') return { values: EMPTY, updatedMs: null, deleted: true };
    if (current.kind === 'present' && current.fresh) {
      return { values: current.values, updatedMs: current.updatedMs };
    }
    return null;
  }

  /** The pair as it is, with what was read remembered for a later run. */
  function remember(pair: PairState, l: Current, r: Current): PairState {
    return { ...pair, leftSeen: snapshot(l), rightSeen: snapshot(r) };
  }

  function planPair(pair: PairState): PairAction | null {
    const l = currentOf(pair, 'left');
    const r = currentOf(pair, 'right');
    const rows = conflictsByPair.get(pair.id) ?? [];
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
          const field = fieldNamed(row.field);
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
          const more = mergeFields(pair, l, r, pair.base, decidedOf(rows)).manual.filter(
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
      return planLinked(pair, l, r, rows, settled);
    }
    return planLinked(pair, l, r, rows, []);
  }

  function planLinked(
    pair: PairState,
    l: Current,
    r: Current,
    rows: readonly ConflictRow[],
    alreadySettled: readonly number[],
  ): PairAction | null {
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
      const action = planDelete(pair, deletedSide, (deletedSide === 'left' ? r : l) as Present);
      return { ...action, resolved: moot };
    }

    const decisions = decidedOf(rows);
    const merged = mergeFields(pair, l, r, pair.base, decisions);
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
    const rightWrite = hasKeys(merged.rightPatch)
      ? upsert(pair.rightKey!, merged.rightPatch)
      : null;
    const settledBefore =
      pair.leftSeen === null && pair.rightSeen === null && pair.pending === null;
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

  function planDelete(pair: PairState, deleted: Side, partner: Present): PairAction {
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

  function planMatch(l: MatchRecord, r: MatchRecord): PairAction {
    const pair: PairState = {
      id: randomUUID(),
      leftKey: l.key,
      rightKey: r.key,
      base: { left: EMPTY, right: EMPTY },
      leftSeen: null,
      rightSeen: null,
      pending: null,
    };
    const lc: Present = {
      kind: 'present',
      values: project(fields, 'left', l.record.fields),
      updatedMs: l.record.updatedAt?.getTime() ?? null,
      fresh: true,
    };
    const rc: Present = {
      kind: 'present',
      values: project(fields, 'right', r.record.fields),
      updatedMs: r.record.updatedAt?.getTime() ?? null,
      fresh: true,
    };
    const merged = mergeFields(pair, lc, rc, null, new Map());
    if (merged.manual.length > 0) {
      report.conflictsOpen += merged.manual.length;
      const frozen = { ...remember(pair, lc, rc), base: merged.base };
      return simple(pair, {
        after: frozen,
        conflicts: merged.manual,
        counts: merged.manual.map(() => 'conflicts' as const),
      });
    }
    const counts: Counter[] = merged.conflicts.map(() => 'conflicts' as const);
    const leftWrite = hasKeys(merged.leftPatch) ? upsert(l.key, merged.leftPatch) : null;
    const rightWrite = hasKeys(merged.rightPatch) ? upsert(r.key, merged.rightPatch) : null;
    if (leftWrite) counts.push('updatedLeft');
    if (rightWrite) counts.push('updatedRight');
    const after = { ...pair, base: merged.base };
    return {
      pairId: pair.id,
      before: null,
      left: leftWrite,
      right: rightWrite,
      after,
      // A failed write leaves the objects unlinked; the next run matches them again.
      onFailure: null,
      conflicts: [],
      resolved: [],
      counts,
    };
  }

  function planCreate(
    from: Side,
    record: MatchRecord,
    taken: { left: Set<string>; right: Set<string> },
  ): PairAction {
    const target = otherSide(from);
    const key = freeKey(task.createKey[target](record), taken[target]);
    taken[target].add(key);
    const own = project(fields, from, record.record.fields);
    const converted = convert(fields, from, own);
    const base =
      from === 'left' ? { left: own, right: converted } : { left: converted, right: own };
    const pair: PairState = {
      id: randomUUID(),
      leftKey: from === 'left' ? record.key : key,
      rightKey: from === 'right' ? record.key : key,
      base,
      leftSeen: null,
      rightSeen: null,
      pending: target,
    };
    return {
      pairId: pair.id,
      before: pair,
      left: target === 'left' ? upsert(key, converted) : null,
      right: target === 'right' ? upsert(key, converted) : null,
      after: { ...pair, pending: null },
      onFailure: pair,
      conflicts: [],
      resolved: [],
      counts: [target === 'left' ? 'createdLeft' : 'createdRight'],
    };
  }

  interface Merged {
    base: { left: FieldValues; right: FieldValues };
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
  function mergeFields(
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
    const toLeft = (field: ResolvedField, value: NeutralValue) => {
      merged.leftPatch[field.left] = value;
      nextLeft[field.left] = value;
    };
    const toRight = (field: ResolvedField, value: NeutralValue) => {
      merged.rightPatch[field.right] = value;
      nextRight[field.right] = value;
    };
    /** Makes `value` (left representation) the field's value on both sides. */
    const settle = (
      field: ResolvedField,
      value: NeutralValue,
      lv: NeutralValue,
      rv: NeutralValue,
    ) => {
      if (sameValue(value, lv)) nextLeft[field.left] = lv;
      else toLeft(field, value);
      const rightValue = field.toRight(value);
      if (sameValue(field.toLeft(rv), value)) nextRight[field.right] = rv;
      else toRight(field, rightValue);
    };
    for (const field of fields) {
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
        settle(field, value, lv, rv);
        continue;
      }
      const leftChanged = base === null || !sameValue(lv, base.left[field.left]);
      const rightChanged = base === null || !sameValue(rv, base.right[field.right]);
      if (!leftChanged && !rightChanged) continue;
      merged.touched = true;
      if (leftChanged && !rightChanged) {
        nextLeft[field.left] = lv;
        toRight(field, field.toRight(lv));
        continue;
      }
      if (!leftChanged && rightChanged) {
        nextRight[field.right] = rv;
        toLeft(field, field.toLeft(rv));
        continue;
      }
      const rightAsLeft = field.toLeft(rv);
      if (sameValue(lv, rightAsLeft)) {
        // Both changed to the same value: converged, nothing to write.
        nextLeft[field.left] = lv;
        nextRight[field.right] = rv;
        continue;
      }
      const choice = choose(pair, field, l, r, lv, rv, rightAsLeft, base);
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
      settle(field, value, lv, rv);
    }
    return merged;
  }

  function choose(
    pair: PairState,
    field: ResolvedField,
    l: Present,
    r: Present,
    lv: NeutralValue,
    rv: NeutralValue,
    rightAsLeft: NeutralValue,
    base: PairState['base'] | null,
  ): ConflictChoice {
    const rule = task.conflict;
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
          task: task.name,
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

  function fieldNamed(name: string): ResolvedField | undefined {
    return fields.find((field) => field.left === name);
  }
}

type Present = Extract<Current, { kind: 'present' }>;

/** A pair's decided conflicts by field. */
function decidedOf(
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

function conflictOf(
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

function simple(
  pair: PairState,
  parts: {
    after: PairState | null;
    left?: SideWrite | null;
    right?: SideWrite | null;
    conflicts?: readonly ConflictWrite[];
    resolved?: readonly number[];
    counts?: readonly Counter[];
  },
): PairAction {
  return {
    pairId: pair.id,
    before: null,
    left: parts.left ?? null,
    right: parts.right ?? null,
    after: parts.after,
    onFailure: pair,
    conflicts: parts.conflicts ?? [],
    resolved: parts.resolved ?? [],
    counts: parts.counts ?? [],
  };
}

function del(pair: PairState, side: Side): SideWrite {
  return { kind: 'delete', key: (side === 'left' ? pair.leftKey : pair.rightKey)! };
}

function upsert(key: string, fields: FieldValues): SideWrite {
  return { kind: 'upsert', key, fields };
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

function samePair(a: PairState, b: PairState): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function matchKeyOf(task: TwoWayTask, record: MatchRecord, side: Side): string | null {
  const by = task.match.by;
  if (typeof by === 'function') return by(record, side) ?? null;
  if (!by) return null;
  return canonicalJson(by.map((name) => record.values[name] ?? null));
}

/** The wanted key, or the first of `key~2`, `key~3`... not taken on that side. */
function freeKey(wanted: string, taken: ReadonlySet<string>): string {
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n++) {
    const candidate = `${wanted}~${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
