import type { SqlStatement, SqlValue } from './client.js';
import type { DestinationSettings } from './destination-settings.js';
import { booleanValue, jsonMergeSql, placeholderAt } from './dialect.js';
import { quoteIdentifier } from './identifiers.js';
import type { Row, UpsertRow } from './row-plan.js';
import type { ColumnTypes } from './schema.js';

/** Alias of the stored row inside an upsert, for the JSON merge. */
const TARGET = quoteIdentifier('keepsync_target');
/** PostgreSQL's limit on parameters per statement. */
const MAX_PARAMS = 65_535;
const MAX_ROWS_PER_STATEMENT = 1_000;

interface Group {
  readonly signature: string;
  readonly rows: Row[];
  readonly keys: Set<string>;
}

/**
 * Builds the statements of one write(): rows grouped by shape, in order, each group as few
 * multi-row statements as the dialect allows; SQL text is cached per shape and row count.
 */
export function statementBuilder(
  settings: DestinationSettings,
  columns: () => ColumnTypes,
): (rows: readonly Row[]) => SqlStatement[] {
  const { dialect, table } = settings;
  const sqlCache = new Map<string, string>();

  function statementsFor(group: Group): SqlStatement[] {
    const first = group.rows[0]!;
    const width = first.kind === 'upsert' ? first.columns.length : 1;
    // SQLite runs one prepared statement per row (fast in-process); PostgreSQL gets few
    // multi-row statements (each is a round trip).
    const perStatement =
      dialect === 'sqlite'
        ? 1
        : Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMS / (width + 1))));
    const statements: SqlStatement[] = [];
    for (let start = 0; start < group.rows.length; start += perStatement) {
      const rows = group.rows.slice(start, start + perStatement);
      statements.push({ sql: sqlFor(first, rows.length), params: paramsFor(rows) });
    }
    return statements;
  }

  function sqlFor(row: Row, count: number): string {
    const cacheKey = `${row.signature}\u0001${count}`;
    let sql = sqlCache.get(cacheKey);
    if (sql === undefined) {
      if (sqlCache.size >= 512) sqlCache.clear();
      sql = buildSql(row, count);
      sqlCache.set(cacheKey, sql);
    }
    return sql;
  }

  function buildSql(row: Row, count: number): string {
    const key = quoteIdentifier(settings.key);
    let position = 0;
    const next = () => placeholderAt(dialect, ++position);
    if (row.kind === 'upsert') {
      const tuples = Array.from({ length: count }, () => `(${row.columns.map(next).join(', ')})`);
      const assignments = row.columns
        .filter((column) => column !== settings.key)
        .map((column) => {
          const value =
            column === settings.json
              ? jsonMergeSql(dialect, TARGET, column, columns().get(column))
              : `EXCLUDED.${quoteIdentifier(column)}`;
          return `${quoteIdentifier(column)} = ${value}`;
        });
      const onConflict =
        assignments.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${assignments.join(', ')}`;
      return (
        `INSERT INTO ${table.sql} AS ${TARGET} (${row.columns.map(quoteIdentifier).join(', ')}) ` +
        `VALUES ${tuples.join(', ')} ON CONFLICT (${key}) ${onConflict}`
      );
    }
    if (row.kind === 'archive') {
      const flag = next();
      const keys = Array.from({ length: count }, next).join(', ');
      return `UPDATE ${table.sql} SET ${quoteIdentifier(settings.archived!)} = ${flag} WHERE ${key} IN (${keys})`;
    }
    return `DELETE FROM ${table.sql} WHERE ${key} IN (${Array.from({ length: count }, next).join(', ')})`;
  }

  function paramsFor(rows: readonly Row[]): readonly SqlValue[] {
    const first = rows[0]!;
    if (first.kind === 'upsert') {
      return rows.length === 1 ? first.values : rows.flatMap((row) => (row as UpsertRow).values);
    }
    const keys = rows.map((row) => row.key);
    return first.kind === 'archive' ? [booleanValue(dialect, true), ...keys] : keys;
  }

  function groupRows(rows: ReadonlyArray<Row>): Group[] {
    const groups: Group[] = [];
    let current: Group | undefined;
    for (const row of rows) {
      // A key repeated in one multi-row upsert is an error in PostgreSQL; order is kept.
      if (!current || current.signature !== row.signature || current.keys.has(row.key)) {
        current = { signature: row.signature, rows: [], keys: new Set() };
        groups.push(current);
      }
      current.rows.push(row);
      current.keys.add(row.key);
    }
    return groups;
  }

  return (rows) => groupRows(rows).flatMap(statementsFor);
}
