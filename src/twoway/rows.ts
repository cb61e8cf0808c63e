import { canonicalJson, type NeutralValue } from '../model/index.js';
import type { ConflictDecision, ConflictRow, ConflictState, PairState } from './types.js';

type Row = Record<string, unknown>;

/** SQLite keeps JSON as text; PostgreSQL's JSONB columns arrive parsed. */
function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function jsonOrNull<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : json<T>(value);
}

/** Stored JSON text of a value: canonical, so Dates become ISO strings. */
export function toJson(value: unknown): string {
  return canonicalJson(value);
}

export function toJsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : canonicalJson(value);
}

export function toPair(row: Row): PairState {
  return {
    id: row.id as string,
    leftKey: (row.left_key as string | null) ?? null,
    rightKey: (row.right_key as string | null) ?? null,
    base: json<PairState['base']>(row.base),
    leftSeen: jsonOrNull(row.left_seen),
    rightSeen: jsonOrNull(row.right_seen),
    pending: (row.pending as PairState['pending']) ?? null,
  };
}

export function toConflict(row: Row): ConflictRow {
  return {
    id: Number(row.id),
    task: row.task as string,
    pairId: row.pair_id as string,
    leftKey: (row.left_key as string | null) ?? null,
    rightKey: (row.right_key as string | null) ?? null,
    field: row.field as string,
    leftValue: jsonOrNull<NeutralValue>(row.left_value),
    rightValue: jsonOrNull<NeutralValue>(row.right_value),
    baseValue: jsonOrNull<NeutralValue>(row.base_value),
    detectedAt: new Date(Number(row.detected_ms)),
    state: row.state as ConflictState,
    decision: jsonOrNull<ConflictDecision>(row.decision),
    decidedAt: row.decided_ms === null ? null : new Date(Number(row.decided_ms)),
  };
}
