import type { NeutralValue } from '../model/index.js';
import type { Current, PlanContext, Present } from './plan-types.js';
import { EMPTY } from './plan-types.js';
import type { PairState, Side, SideSnapshot } from './types.js';
import { project, sameValue } from './values.js';

/** A linked object as this run sees it: read now, remembered, assumed unchanged, or gone. */
export function currentOf(ctx: PlanContext, pair: PairState, side: Side): Current {
  const key = side === 'left' ? pair.leftKey : pair.rightKey;
  if (key === null) return { kind: 'deleted' };
  const read = ctx.reads[side];
  const record = read.records.get(key);
  if (record) {
    if (record.deleted) return { kind: 'deleted' };
    const current: Present = {
      kind: 'present',
      values: project(ctx.fields, side, record.fields),
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
export function deletedOn(ctx: PlanContext, pair: PairState, side: Side): boolean {
  const key = side === 'left' ? pair.leftKey : pair.rightKey;
  if (key === null) return true;
  const read = ctx.reads[side];
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
export function remember(pair: PairState, l: Current, r: Current): PairState {
  return { ...pair, leftSeen: snapshot(l), rightSeen: snapshot(r) };
}
