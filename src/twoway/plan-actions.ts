import { canonicalJson } from '../model/index.js';
import type { Counter, PairAction } from './plan-types.js';
import type { ConflictWrite, FieldValues, PairState, Side, SideWrite } from './types.js';

/** An action that writes at most one delete, falling back to the pair as it was. */
export function simple(
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

export function del(pair: PairState, side: Side): SideWrite {
  return { kind: 'delete', key: (side === 'left' ? pair.leftKey : pair.rightKey)! };
}

export function upsert(key: string, fields: FieldValues): SideWrite {
  return { kind: 'upsert', key, fields };
}

export function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

export function samePair(a: PairState, b: PairState): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
