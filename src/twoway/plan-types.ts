import type { SyncRecord } from '../model/index.js';
import type { ResolvedField, TwoWayTask } from './define.js';
import type {
  ConflictRow,
  ConflictWrite,
  FieldValues,
  PairState,
  SideWrite,
  TwoWayReport,
} from './types.js';

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
  /** The pairs of the task: all of them, or those an incremental read can touch. */
  readonly pairs: readonly PairState[];
  /**
   * Linked, settled pairs left out of `pairs` (neither side read them): counted as
   * unchanged and in the delete guard's share. @default 0
   */
  readonly quietPairs?: number | undefined;
  readonly left: SideRead;
  readonly right: SideRead;
  /** The task's open and decided conflicts. */
  readonly conflicts: readonly ConflictRow[];
}

export type Counter = Exclude<keyof TwoWayReport, 'readLeft' | 'readRight'>;

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

export type PlanReport = Pick<
  TwoWayReport,
  'matched' | 'ambiguous' | 'unchanged' | 'conflictsOpen'
>;

export interface Plan {
  readonly actions: PairAction[];
  /**
   * Pairs matched with nothing to write on either side (most of an initial sync): stored as
   * they are, with no action each.
   */
  readonly settled: PairState[];
  /** Matching and bookkeeping counts that do not depend on writes. */
  readonly report: PlanReport;
  /** Keys left alone because several objects share a match key. */
  readonly ambiguous: { readonly left: string[]; readonly right: string[] };
  /** Set when the delete guard stopped the run: nothing may be written. */
  readonly guard: string | null;
}

/** What every phase of one plan shares. */
export interface PlanContext {
  readonly task: TwoWayTask;
  readonly fields: readonly ResolvedField[];
  readonly reads: { readonly left: SideRead; readonly right: SideRead };
  /** Counted into as the phases go. */
  readonly report: PlanReport;
  readonly conflictsByPair: ReadonlyMap<string, readonly ConflictRow[]>;
}

export type Current =
  | Present
  | { readonly kind: 'deleted' }
  /** A pending create not yet seen: the object may or may not exist. */
  | { readonly kind: 'missing' };

export interface Present {
  readonly kind: 'present';
  readonly values: FieldValues;
  readonly updatedMs: number | null;
  /** Read in this run (or remembered as seen), as opposed to assumed equal to the base. */
  readonly fresh: boolean;
}

export const EMPTY: FieldValues = {};
