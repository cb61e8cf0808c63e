import type { Cursor, Fields, NeutralValue, SyncRecord } from '../model/index.js';

/** The one unit a two-way task has in the engine's status rows and runs. */
export const TWO_WAY_UNIT = 'pairs';

/** Which of the two systems of a two-way task. */
export type Side = 'left' | 'right';

export function otherSide(side: Side): Side {
  return side === 'left' ? 'right' : 'left';
}

/** Mapped field values of one side, in that side's own field names and representation. */
export type FieldValues = { readonly [field: string]: NeutralValue };

/** A write to one side, addressed by the key that side's reads report. */
export type SideWrite =
  /** Creates the object when missing, otherwise sets only these fields (a patch). */
  | { readonly kind: 'upsert'; readonly key: string; readonly fields: Fields }
  /** Removes the object; an object already gone counts as done. */
  | { readonly kind: 'delete'; readonly key: string };

export type SideWriteResult =
  | { readonly status: 'ok' }
  | { readonly status: 'retryable' | 'rejected' | 'auth'; readonly error: string };

export interface SideReadOptions {
  /** Where the previous run's incremental read stopped; `null` = from the start. */
  readonly cursor: Cursor;
  readonly signal?: AbortSignal | undefined;
}

export interface SidePage {
  /** Records with `key`, `fields`, `updatedAt` (for the `newer` rule) and `deleted` tombstones. */
  readonly records: readonly SyncRecord[];
  readonly cursor: Cursor;
}

/**
 * One system as a two-way task sees it. Why not a Source and a Destination directly:
 * a destination addresses objects by its own ids while a source reports keys, and a
 * two-way task needs one identity per object on each side (the key its reads report), reads
 * that are either full listings or changes-since-a-cursor, a way to see deletions, and writes
 * addressed by that same key so a repeated write after a crash updates instead of duplicating.
 * `sideFrom({ source, destination })` builds one from a source and a destination of the
 * same system.
 */
export interface TwoWaySide {
  readonly name: string;
  /**
   * `full`: every read lists every live object, so a linked object missing from a read was
   * deleted. `incremental`: a read returns what changed since the cursor; deletions arrive
   * as tombstones, or through `listKeys()`.
   */
  readonly mode: 'full' | 'incremental';
  read(options: SideReadOptions): AsyncIterable<SidePage>;
  /**
   * Every live key, for sides whose incremental reads cannot report deletions (e.g. a SQL
   * table where a deleted row is simply gone). Without it, such deletions go unnoticed.
   */
  listKeys?(signal?: AbortSignal): Promise<Iterable<string>>;
  /** Writes a batch; one result per write, in the same order. Each write is idempotent. */
  write(writes: readonly SideWrite[], signal?: AbortSignal): Promise<readonly SideWriteResult[]>;
}

/** What one side looked like when it was last read, for pairs that could not settle. */
export interface SideSnapshot {
  readonly values: FieldValues;
  readonly updatedMs: number | null;
  readonly deleted?: boolean | undefined;
}

/**
 * A linked pair, as the store keeps it. `base` holds the last values both sides agreed on,
 * each in its own representation (so a lossy converter never looks like an edit).
 * A detached pair (one key null) remembers an object whose partner was deleted under the
 * `ignore` policy, so it is not created again.
 */
export interface PairState {
  readonly id: string;
  readonly leftKey: string | null;
  readonly rightKey: string | null;
  readonly base: { readonly left: FieldValues; readonly right: FieldValues };
  /** The side's last read values when they could not be merged yet (conflict, failed write). */
  readonly leftSeen: SideSnapshot | null;
  readonly rightSeen: SideSnapshot | null;
  /** That side's object was being created: it may not exist yet. */
  readonly pending: Side | null;
  /**
   * Values batches were writing to each side, per field, committed before writing
   * (write-ahead) and cleared by the checkpoint after: after a crash, a field holding one of
   * these holds keepsync's own write, not a person's edit. Several when crashes repeat.
   */
  readonly inflight?: { readonly left?: InflightValues; readonly right?: InflightValues } | null;
}

export type InflightValues = { readonly [field: string]: readonly NeutralValue[] };

export type ConflictState = 'open' | 'decided' | 'resolved';

/** How a person settles a conflict: a side's current value, or a value of their own. */
export type ConflictDecision =
  | { readonly take: 'left' | 'right' }
  | { readonly take: 'value'; readonly value: NeutralValue };

export interface ConflictRow {
  readonly id: number;
  readonly task: string;
  readonly pairId: string;
  readonly leftKey: string | null;
  readonly rightKey: string | null;
  /** The left field name (the right one follows from the field map). */
  readonly field: string;
  readonly leftValue: NeutralValue;
  /** In the right side's own representation. */
  readonly rightValue: NeutralValue;
  /** The last agreed value (left representation); null on an initial match. */
  readonly baseValue: NeutralValue;
  readonly detectedAt: Date;
  readonly state: ConflictState;
  readonly decision: ConflictDecision | null;
  readonly decidedAt: Date | null;
}

export interface ConflictWrite {
  readonly pairId: string;
  readonly leftKey: string | null;
  readonly rightKey: string | null;
  readonly field: string;
  readonly leftValue: NeutralValue;
  readonly rightValue: NeutralValue;
  readonly baseValue: NeutralValue;
}

/** Counts of one run; `matched`, `createdLeft`, `createdRight` and `ambiguous` report matching. */
export interface TwoWayReport {
  readLeft: number;
  readRight: number;
  matched: number;
  ambiguous: number;
  createdLeft: number;
  createdRight: number;
  updatedLeft: number;
  updatedRight: number;
  deletedLeft: number;
  deletedRight: number;
  restoredLeft: number;
  restoredRight: number;
  unlinked: number;
  conflicts: number;
  conflictsOpen: number;
  unchanged: number;
  failed: number;
}

export function emptyReport(): TwoWayReport {
  return {
    readLeft: 0,
    readRight: 0,
    matched: 0,
    ambiguous: 0,
    createdLeft: 0,
    createdRight: 0,
    updatedLeft: 0,
    updatedRight: 0,
    deletedLeft: 0,
    deletedRight: 0,
    restoredLeft: 0,
    restoredRight: 0,
    unlinked: 0,
    conflicts: 0,
    conflictsOpen: 0,
    unchanged: 0,
    failed: 0,
  };
}
