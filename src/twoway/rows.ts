import { canonicalJson, type NeutralValue } from '../model/index.js';
import type {
  ConflictDecision,
  ConflictRow,
  ConflictState,
  FieldValues,
  PairState,
} from './types.js';

type Row = Record<string, unknown>;

/**
 * SQLite keeps JSON as text; PostgreSQL's JSONB columns arrive parsed (a JSON string comes
 * back as a plain string), so only SQLite's are parsed.
 */
export type JsonColumns = 'text' | 'parsed';

function jsonOrNull<T>(value: unknown, columns: JsonColumns): T | null {
  if (value === null || value === undefined) return null;
  return (columns === 'text' ? JSON.parse(value as string) : value) as T;
}

/** Stored JSON text of a value: canonical, so Dates become ISO strings. */
export function toJson(value: unknown): string {
  return canonicalJson(value);
}

/**
 * Stored JSON text of a pair's base: each side's members in the order they were built (the
 * task's field order), each value canonical (so Dates become ISO strings and a value with
 * no JSON form is refused). Not canonicalJson of the whole base: it sorts member names
 * through a cache of one name order per object width, and the two sides' objects usually
 * have the same width and different names, so every pair sorted both again.
 */
export function baseJson(base: PairState['base']): string {
  return `{"left":${valuesJson(base.left)},"right":${valuesJson(base.right)}}`;
}

function valuesJson(values: FieldValues): string {
  let text = '{';
  for (const name of Object.keys(values)) {
    const value = values[name];
    if (value === undefined) continue;
    if (text.length > 1) text += ',';
    text += memberName(name) + canonicalJson(value);
  }
  return `${text}}`;
}

/** Field names repeat on every pair of a task: each is quoted once (a bounded cache). */
const quotedNames = new Map<string, string>();
const MAX_QUOTED_NAMES = 10_000;

function memberName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(name)}:`;
    if (quotedNames.size < MAX_QUOTED_NAMES) quotedNames.set(name, quoted);
  }
  return quoted;
}

export function toJsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : canonicalJson(value);
}

export function toPair(row: Row, columns: JsonColumns): PairState {
  return {
    id: row.id as string,
    leftKey: (row.left_key as string | null) ?? null,
    rightKey: (row.right_key as string | null) ?? null,
    base: jsonOrNull<PairState['base']>(row.base, columns)!,
    leftSeen: jsonOrNull(row.left_seen, columns),
    rightSeen: jsonOrNull(row.right_seen, columns),
    pending: (row.pending as PairState['pending']) ?? null,
    inflight: jsonOrNull(row.inflight, columns),
  };
}

export function toConflict(row: Row, columns: JsonColumns): ConflictRow {
  return {
    id: Number(row.id),
    task: row.task as string,
    pairId: row.pair_id as string,
    leftKey: (row.left_key as string | null) ?? null,
    rightKey: (row.right_key as string | null) ?? null,
    field: row.field as string,
    leftValue: jsonOrNull<NeutralValue>(row.left_value, columns),
    rightValue: jsonOrNull<NeutralValue>(row.right_value, columns),
    baseValue: jsonOrNull<NeutralValue>(row.base_value, columns),
    detectedAt: new Date(Number(row.detected_ms)),
    state: row.state as ConflictState,
    decision: jsonOrNull<ConflictDecision>(row.decision, columns),
    decidedAt: row.decided_ms === null ? null : new Date(Number(row.decided_ms)),
  };
}
