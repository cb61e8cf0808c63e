import type { NeutralValue } from '../../model/index.js';
import type { SqlDialect, SqlValue } from './client.js';
import { quoteIdentifier } from './identifiers.js';

/** Collects parameters and hands out the dialect's placeholder for each. */
export class Placeholders {
  readonly values: SqlValue[] = [];
  readonly #dialect: SqlDialect;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }

  add(value: SqlValue): string {
    this.values.push(value);
    return placeholderAt(this.#dialect, this.values.length);
  }
}

/** The placeholder of the parameter at `position` (1-based). */
export function placeholderAt(dialect: SqlDialect, position: number): string {
  return dialect === 'sqlite' ? '?' : `$${position}`;
}

/** SQLite has no boolean type: 1 and 0 are what its own functions return. */
export function booleanValue(dialect: SqlDialect, value: boolean): SqlValue {
  if (dialect === 'postgres') return value;
  return value ? 1 : 0;
}

/**
 * The column type `createTable` gives a field, from one of its values. SQLite's BOOLEAN,
 * TIMESTAMP and JSON have numeric affinity, which keeps 1/0, ISO strings and JSON text as
 * they are, and tell the source how to read them back.
 */
export function columnTypeFor(dialect: SqlDialect, value: NeutralValue | undefined): string {
  const sqlite = dialect === 'sqlite';
  if (typeof value === 'number') return sqlite ? 'REAL' : 'DOUBLE PRECISION';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (value instanceof Date) return sqlite ? 'TIMESTAMP' : 'TIMESTAMPTZ';
  if (value !== null && typeof value === 'object') return jsonColumnType(dialect);
  return 'TEXT';
}

export function jsonColumnType(dialect: SqlDialect): string {
  return dialect === 'sqlite' ? 'JSON' : 'JSONB';
}

/**
 * An upsert's new value for the JSON column: the stored object with the incoming fields laid
 * over it (a shallow merge that keeps nulls, unlike SQLite's json_patch). `target` is the
 * alias of the stored row; `declaredType` the column's type as the database reports it.
 */
export function jsonMergeSql(
  dialect: SqlDialect,
  target: string,
  column: string,
  declaredType: string | undefined,
): string {
  const stored = `${target}.${quoteIdentifier(column)}`;
  const incoming = `EXCLUDED.${quoteIdentifier(column)}`;
  if (dialect === 'sqlite') {
    return (
      `(SELECT json_group_object(key, json(j)) FROM (` +
      `SELECT key, ${stored} -> fullkey AS j FROM json_each(${stored}) ` +
      `WHERE key NOT IN (SELECT key FROM json_each(${incoming})) ` +
      `UNION ALL SELECT key, ${incoming} -> fullkey FROM json_each(${incoming})))`
    );
  }
  const merged = `(COALESCE(${stored}::jsonb, '{}'::jsonb) || ${incoming}::jsonb)`;
  if (declaredType === 'jsonb') return merged;
  return `${merged}::${declaredType === 'json' ? 'json' : 'text'}`;
}

/**
 * The cursor column as the source keeps it. PostgreSQL timestamps carry microseconds, which
 * a JavaScript Date would drop; their text form round-trips exactly.
 */
export function cursorValueSql(dialect: SqlDialect, column: string): string {
  return dialect === 'sqlite'
    ? quoteIdentifier(column)
    : `CAST(${quoteIdentifier(column)} AS TEXT)`;
}
