import { KeepsyncError } from '../model/index.js';
import {
  type DeadLetter,
  emptyStats,
  type Link,
  type RunRow,
  type RunStatus,
  type RunTrigger,
  type UnitState,
  type UnitStatePatch,
} from './types.js';

/** A database row as both drivers return it (PostgreSQL BIGINTs arrive as strings). */
export type Row = Record<string, unknown>;

/** SQLite keeps JSON as text; PostgreSQL's JSONB columns arrive already parsed. */
export function parseJsonColumn<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Shared by both stores: a unit's row is missing (never ensured, or forgotten since). */
export function unknownUnitError(pipeline: string, unit: string): KeepsyncError {
  return new KeepsyncError(
    'NOT_FOUND',
    `Unit ${unit} of pipeline ${pipeline} is not known to the store`,
  );
}

/** Shared by both stores: how a targeted request merges into a pending one. */
export function mergeRequestedKeys(
  alreadyRequested: boolean,
  pendingKeys: readonly string[] | null,
  keys: readonly string[] | null,
): string[] | null {
  if (keys === null) return null;
  if (alreadyRequested && pendingKeys === null) return null;
  return [...new Set([...(pendingKeys ?? []), ...keys])];
}

export function unitColumns(patch: UnitStatePatch): Array<[string, string | number | null]> {
  const columns: Array<[string, string | number | null]> = [];
  if (patch.nextRunAt !== undefined)
    columns.push(['next_run_ms', patch.nextRunAt?.getTime() ?? null]);
  if (patch.paused !== undefined) columns.push(['paused', patch.paused ? 1 : 0]);
  if (patch.pausedReason !== undefined) columns.push(['paused_reason', patch.pausedReason]);
  if (patch.syncRequested !== undefined)
    columns.push(['sync_requested', patch.syncRequested ? 1 : 0]);
  if (patch.requestedKeys !== undefined) {
    columns.push([
      'requested_keys',
      patch.requestedKeys === null ? null : JSON.stringify(patch.requestedKeys),
    ]);
  }
  if (patch.lastRunId !== undefined) columns.push(['last_run_id', patch.lastRunId]);
  return columns;
}

export function toLink(row: Row): Link {
  return {
    key: row.key as string,
    destId: row.dest_id as string,
    hash: row.hash as string,
    sourceUpdatedMs: row.source_updated_ms === null ? null : Number(row.source_updated_ms),
  };
}

export function toRun(row: Row): RunRow {
  return {
    id: Number(row.id),
    pipeline: row.pipeline as string,
    unit: row.unit as string,
    trigger: row.trigger as RunTrigger,
    status: row.status as RunStatus,
    startedAt: new Date(Number(row.started_ms)),
    finishedAt: row.finished_ms === null ? null : new Date(Number(row.finished_ms)),
    stats: { ...emptyStats(), ...parseJsonColumn<object>(row.stats) },
    error: (row.error as string | null) ?? null,
  };
}

export function toUnit(row: Row): UnitState {
  return {
    pipeline: row.pipeline as string,
    unit: row.unit as string,
    nextRunAt: row.next_run_ms === null ? null : new Date(Number(row.next_run_ms)),
    paused: Boolean(Number(row.paused)),
    pausedReason: (row.paused_reason as string | null) ?? null,
    syncRequested: Boolean(Number(row.sync_requested)),
    requestedKeys:
      row.requested_keys === null ? null : parseJsonColumn<string[]>(row.requested_keys),
    lastRunId: row.last_run_id === null ? null : Number(row.last_run_id),
    leaseOwner: (row.lease_owner as string | null) ?? null,
    leaseSince: row.lease_since_ms == null ? null : new Date(Number(row.lease_since_ms)),
    leaseExpiresAt: row.lease_expires_ms === null ? null : new Date(Number(row.lease_expires_ms)),
  };
}

export function toDeadLetter(row: Row): DeadLetter {
  return {
    pipeline: row.pipeline as string,
    unit: row.unit as string,
    key: row.key as string,
    error: row.error as string,
    record: (row.record as string | null) ?? null,
    attempts: Number(row.attempts),
    firstFailedAt: new Date(Number(row.first_failed_ms)),
    lastFailedAt: new Date(Number(row.last_failed_ms)),
  };
}
