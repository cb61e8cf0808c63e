import { canonicalJson, type SyncRecord } from '../model/index.js';
import type { MatchRecord, TwoWayTask } from './define.js';
import { newPairId } from './pair-id.js';
import { hasKeys, simple, upsert } from './plan-actions.js';
import { remember } from './plan-current.js';
import { mergeFields } from './plan-merge.js';
import {
  type Counter,
  EMPTY,
  type PairAction,
  type PlanContext,
  type Present,
} from './plan-types.js';
import { type FieldValues, otherSide, type PairState, type Side } from './types.js';
import { convert, project, sameValue } from './values.js';

type Keys = { readonly left: ReadonlySet<string>; readonly right: ReadonlySet<string> };

/** Where planning puts its results: actions, and new pairs with nothing to write. */
interface PlanOutput {
  readonly actions: PairAction[];
  readonly settled: PairState[];
}

/** A first match takes no conflict decisions (the pair is new). */
const NO_DECISIONS: ReadonlyMap<string, never> = new Map<string, never>();

/**
 * Objects read but not linked: matched to each other (explicit keys, same key, match
 * fields), and those left without a partner created on the other side. Returns the keys
 * left alone because several objects share a match key.
 */
export function planUnlinked(
  ctx: PlanContext,
  linked: Keys,
  out: PlanOutput,
): { left: string[]; right: string[] } {
  const { task, reads, report } = ctx;
  const { actions } = out;
  const explicit = { left: new Set<string>(), right: new Set<string>() };
  const free = (side: Side, key: string, record: SyncRecord | undefined): boolean =>
    record !== undefined && !record.deleted && !linked[side].has(key) && !explicit[side].has(key);
  const open = (side: Side, key: string): SyncRecord | undefined => {
    const record = reads[side].records.get(key);
    return free(side, key, record) ? record : undefined;
  };
  // Matched pairs as [left, right, left, right...]: a first sync matches every object.
  const matches: SyncRecord[] = [];
  for (const [leftKey, rightKey] of task.match.keys) {
    const l = open('left', leftKey);
    const r = open('right', rightKey);
    if (!l || !r) continue;
    matches.push(l, r);
    explicit.left.add(leftKey);
    explicit.right.add(rightKey);
  }
  // Matched by key without a map of everything unlinked (the usual first sync), then the
  // rest: records only, as only matching by fields and creates need their mapped values.
  const { sameKey } = task.match;
  const unlinked = { left: new Map<string, SyncRecord>(), right: new Map<string, SyncRecord>() };
  // Entries, not keys then lookups: a first sync walks every record of both sides.
  for (const [key, l] of reads.left.records) {
    if (!free('left', key, l)) continue;
    const r = sameKey ? open('right', key) : undefined;
    if (r) matches.push(l, r);
    else unlinked.left.set(key, l);
  }
  for (const [key, r] of reads.right.records) {
    if (free('right', key, r) && !(sameKey && open('left', key))) unlinked.right.set(key, r);
  }
  const take = (leftKey: string, rightKey: string) => {
    const l = unlinked.left.get(leftKey);
    const r = unlinked.right.get(rightKey);
    if (!l || !r) return;
    matches.push(l, r);
    unlinked.left.delete(leftKey);
    unlinked.right.delete(rightKey);
  };
  const ambiguous = { left: [] as string[], right: [] as string[] };
  if (task.match.by) {
    const groups = new Map<string, { left: MatchRecord[]; right: MatchRecord[] }>();
    for (const side of ['left', 'right'] as const) {
      for (const record of unlinked[side].values()) {
        const match = matchRecordOf(ctx, side, record);
        const matchKey = matchKeyOf(task, match, side);
        if (matchKey === null) continue;
        const group = groups.get(matchKey) ?? { left: [], right: [] };
        group[side].push(match);
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
  for (let at = 0; at < matches.length; at += 2) {
    report.matched++;
    planMatch(ctx, matches[at]!, matches[at + 1]!, out);
  }
  if (unlinked.left.size + unlinked.right.size === 0) return ambiguous;
  const taken = {
    left: new Set([...linked.left, ...reads.left.records.keys(), ...ambiguous.left]),
    right: new Set([...linked.right, ...reads.right.records.keys(), ...ambiguous.right]),
  };
  for (const side of ['left', 'right'] as const) {
    for (const record of unlinked[side].values()) {
      actions.push(planCreate(ctx, side, matchRecordOf(ctx, side, record), taken));
    }
  }
  return ambiguous;
}

/** A read record as matching and `createKey` see it: values in the left representation. */
export function matchRecordOf(
  ctx: Pick<PlanContext, 'fields'>,
  side: Side,
  record: SyncRecord,
): MatchRecord {
  const own = project(ctx.fields, side, record.fields);
  return {
    key: record.key,
    values: side === 'left' ? own : convert(ctx.fields, 'right', own),
    record,
  };
}

/** A new pair for two matched objects: settled when they agree, else an action. */
function planMatch(ctx: PlanContext, l: SyncRecord, r: SyncRecord, out: PlanOutput): void {
  const { fields, report } = ctx;
  const leftValues = project(fields, 'left', l.fields);
  const rightValues = project(fields, 'right', r.fields);
  // The usual first match: every field already agrees, so the base is both sides as read
  // (what the merge would build field by field), and there is nothing to write.
  if (agree(fields, leftValues, rightValues)) {
    out.settled.push({
      id: newPairId(),
      leftKey: l.key,
      rightKey: r.key,
      base: { left: leftValues, right: rightValues },
      leftSeen: null,
      rightSeen: null,
      pending: null,
      inflight: null,
    });
    return;
  }
  const pair: PairState = {
    id: newPairId(),
    leftKey: l.key,
    rightKey: r.key,
    base: { left: EMPTY, right: EMPTY },
    leftSeen: null,
    rightSeen: null,
    pending: null,
  };
  const lc: Present = {
    kind: 'present',
    values: leftValues,
    updatedMs: l.updatedAt?.getTime() ?? null,
    fresh: true,
  };
  const rc: Present = {
    kind: 'present',
    values: rightValues,
    updatedMs: r.updatedAt?.getTime() ?? null,
    fresh: true,
  };
  const merged = mergeFields(ctx, pair, lc, rc, null, NO_DECISIONS);
  if (merged.manual.length > 0) {
    report.conflictsOpen += merged.manual.length;
    const frozen = { ...remember(pair, lc, rc), base: merged.base };
    out.actions.push(
      simple(pair, {
        after: frozen,
        conflicts: merged.manual,
        counts: merged.manual.map(() => 'conflicts' as const),
      }),
    );
    return;
  }
  const leftWrite = hasKeys(merged.leftPatch) ? upsert(l.key, merged.leftPatch) : null;
  const rightWrite = hasKeys(merged.rightPatch) ? upsert(r.key, merged.rightPatch) : null;
  const after: PairState = { ...pair, base: merged.base, inflight: null };
  if (!leftWrite && !rightWrite && merged.conflicts.length === 0) {
    out.settled.push(after);
    return;
  }
  const counts: Counter[] = merged.conflicts.map(() => 'conflicts' as const);
  if (leftWrite) counts.push('updatedLeft');
  if (rightWrite) counts.push('updatedRight');
  out.actions.push({
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
  });
}

/** Whether each mapped field holds the same value on both sides (in the left representation). */
function agree(fields: PlanContext['fields'], left: FieldValues, right: FieldValues): boolean {
  for (const field of fields) {
    if (!sameValue(left[field.left], field.toLeft(right[field.right] ?? null))) return false;
  }
  return true;
}

function planCreate(
  ctx: PlanContext,
  from: Side,
  record: MatchRecord,
  taken: { left: Set<string>; right: Set<string> },
): PairAction {
  const { fields, task } = ctx;
  const target = otherSide(from);
  const key = freeKey(task.createKey[target](record), taken[target]);
  taken[target].add(key);
  const own = project(fields, from, record.record.fields);
  const converted = convert(fields, from, own);
  const base = from === 'left' ? { left: own, right: converted } : { left: converted, right: own };
  const pair: PairState = {
    id: newPairId(),
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
