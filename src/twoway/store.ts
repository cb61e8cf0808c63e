import { type Cursor, isKeepsyncError, KeepsyncError } from '../model/index.js';
import {
  type HeldLeaseFence,
  type LeaseToken,
  type RunStats,
  type Store,
  storeHandle,
} from '../store/index.js';
import { openPostgresTwoWayStore } from './postgres-store.js';
import { openSqliteTwoWayStore } from './sqlite-store.js';
import type {
  ConflictDecision,
  ConflictRow,
  ConflictState,
  ConflictWrite,
  PairState,
  Side,
} from './types.js';

/** Everything one batch of a two-way run changes, committed in ONE transaction. */
export interface TwoWayCommit {
  readonly task: string;
  /** Pairs to insert or replace (by id). */
  readonly pairs: readonly PairState[];
  readonly removedPairs: readonly string[];
  /** Open conflicts to record, or refresh (same pair and field) with newer values. */
  readonly conflicts: readonly ConflictWrite[];
  /** Conflict ids settled (applied, or converged on their own). */
  readonly resolvedConflicts: readonly number[];
  /** Cursors to move, only with the run's last batch. */
  readonly cursors?: Partial<Record<Side, Cursor>> | undefined;
  /** The run's stats so far, kept on its run row. */
  readonly run?: { readonly id: number; readonly stats: RunStats } | undefined;
  /**
   * Fencing: when given, the commit checks in its own transaction that the task's lease is
   * still this token's, and fails with `LEASE_LOST` (changing nothing) once it is not.
   */
  readonly lease?: LeaseToken | undefined;
}

export interface PairKeys {
  readonly left: readonly string[];
  readonly right: readonly string[];
}

export interface ConflictFilter {
  task?: string | undefined;
  /** @default ['open', 'decided'] */
  states?: readonly ConflictState[] | undefined;
}

/**
 * The two-way task state: linked pairs with their base snapshots, per-side cursors, and the
 * conflicts table. Lives in the same database as the keepsync store it is opened on.
 */
export interface TwoWayStore {
  loadPairs(task: string): Promise<PairState[]>;
  /**
   * The pairs an incremental run can touch: those holding one of `keys` on that side (or
   * that key followed by `~`, as created keys are made free), plus every pair with state of
   * its own (pending, in flight, remembered, detached, with an open or decided conflict).
   * Every other pair is linked and settled.
   */
  loadPairsForKeys(task: string, keys: PairKeys): Promise<PairState[]>;
  countPairs(task: string): Promise<number>;
  getCursors(task: string): Promise<Record<Side, Cursor>>;
  commit(commit: TwoWayCommit): Promise<void>;
  listConflicts(filter?: ConflictFilter): Promise<ConflictRow[]>;
  getConflict(id: number): Promise<ConflictRow | null>;
  /**
   * Records a person's decision on an open conflict; the task's next run applies it.
   * Throws NOT_FOUND for an unknown id and CONFIG_INVALID for one no longer open.
   */
  decideConflict(id: number, decision: ConflictDecision): Promise<ConflictRow>;
  /** Forgets a task's pairs, cursors and conflicts (its next run is an initial sync). */
  resetTask(task: string): Promise<void>;
}

const stores = new WeakMap<object, TwoWayStore>();

/**
 * The two-way state of an open keepsync store (SQLite or PostgreSQL), sharing its database.
 * On the store of a leased run, every commit proves the lease, as page commits do.
 */
export function twoWayStore(store: Store): TwoWayStore {
  const handle = storeHandle(store);
  const database = handle.dialect === 'sqlite' ? handle.db : handle.pool;
  let found = stores.get(database);
  if (!found) {
    found =
      handle.dialect === 'sqlite' ? openSqliteTwoWayStore(handle) : openPostgresTwoWayStore(handle);
    stores.set(database, found);
  }
  return handle.lease ? fenced(found, handle.lease) : found;
}

function fenced(store: TwoWayStore, fence: HeldLeaseFence): TwoWayStore {
  return {
    ...store,
    async commit(commit) {
      try {
        await store.commit({ ...commit, lease: fence.token });
      } catch (error) {
        if (isKeepsyncError(error) && error.code === 'LEASE_LOST') fence.onLost(error);
        throw error;
      }
    },
  };
}

export function checkDecision(decision: ConflictDecision): ConflictDecision {
  const take = (decision as { take?: unknown })?.take;
  if (take === 'left' || take === 'right') return { take };
  if (take === 'value' && 'value' in decision && decision.value !== undefined) {
    return { take, value: decision.value };
  }
  throw new KeepsyncError(
    'CONFIG_INVALID',
    `Expected a decision of { take: 'left' }, { take: 'right' } or { take: 'value', value }, got ${JSON.stringify(decision)}`,
  );
}

export function notOpen(row: ConflictRow | null, id: number): KeepsyncError {
  if (!row) return new KeepsyncError('NOT_FOUND', `No conflict with id ${id}`);
  return new KeepsyncError(
    'CONFIG_INVALID',
    `Conflict ${id} (task ${row.task}, field ${row.field}) is ${row.state}; only open conflicts can be decided`,
  );
}
