import type { SqlStatement, SqlValue } from './client.js';
import { copyText } from './copy-text.js';
import type { DestinationSettings } from './destination-settings.js';
import { booleanValue, jsonMergeSql, placeholderAt } from './dialect.js';
import { quoteIdentifier } from './identifiers.js';
import type { Row, UpsertRow } from './row-plan.js';
import type { ColumnTypes } from './schema.js';

/** Alias of the stored row inside an upsert, for the JSON merge. */
const TARGET = quoteIdentifier('keepsync_target');
/** SQLite runs one prepared statement per row (fast in-process). */
const SQLITE_ROWS_PER_STATEMENT = 1;
/** PostgreSQL gets one statement per page (each is a round trip); this caps its JSON text. */
const POSTGRES_ROWS_PER_STATEMENT = 5_000;
/** PostgreSQL's limit on parameters per statement, for archive and delete key lists. */
const MAX_PARAMS = 65_535;

interface Group {
  readonly signature: string;
  readonly rows: Row[];
  readonly keys: Set<string>;
  /** Rows of creates whose keys no earlier group of the write has: a COPY can insert them. */
  readonly copy: boolean;
}

export interface StatementOptions {
  /**
   * Inserts the rows of creates with COPY (PostgreSQL) instead of upserting them: half the
   * server's work, but a row that exists already fails the whole COPY.
   */
  readonly copyCreates: boolean;
}

/**
 * Builds the statements of one write(): rows grouped by shape, in order, each group as few
 * multi-row statements as the dialect allows; SQL text is cached per shape and row count.
 */
export function statementBuilder(
  settings: DestinationSettings,
  columns: () => ColumnTypes,
): (rows: readonly Row[], options?: StatementOptions) => SqlStatement[] {
  const { dialect, table } = settings;
  const sqlCache = new Map<string, string>();

  function statementsFor(group: Group): SqlStatement[] {
    const first = group.rows[0]!;
    const perStatement =
      dialect === 'sqlite'
        ? SQLITE_ROWS_PER_STATEMENT
        : first.kind === 'upsert'
          ? POSTGRES_ROWS_PER_STATEMENT
          : Math.min(POSTGRES_ROWS_PER_STATEMENT, MAX_PARAMS - 1);
    const statements: SqlStatement[] = [];
    for (let start = 0; start < group.rows.length; start += perStatement) {
      const rows = group.rows.slice(start, start + perStatement);
      statements.push(
        group.copy
          ? {
              sql: copySql(first as UpsertRow),
              params: [],
              copyData: copyText(rows as UpsertRow[]),
            }
          : { sql: sqlFor(first, rows.length), params: paramsFor(rows) },
      );
    }
    return statements;
  }

  function copySql(row: UpsertRow): string {
    return `COPY ${table.sql} (${row.columns.map(quoteIdentifier).join(', ')}) FROM STDIN`;
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
      const names = row.columns.map(quoteIdentifier).join(', ');
      // PostgreSQL: the rows arrive as one JSON array of objects, turned into rows of the
      // table's own type (each value converted as its text would be): one parameter instead of
      // one per value, which costs both sides less than a VALUES list of thousands.
      const rows =
        dialect === 'postgres'
          ? `SELECT ${names} FROM json_populate_recordset(NULL::${table.sql}, ${next()}::json)`
          : `VALUES ${Array.from({ length: count }, () => `(${row.columns.map(next).join(', ')})`).join(', ')}`;
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
        `INSERT INTO ${table.sql} AS ${TARGET} (${names}) ${rows} ` +
        `ON CONFLICT (${key}) ${onConflict}`
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
      if (dialect === 'postgres') return [rowsAsJson(rows as readonly UpsertRow[], columns())];
      return rows.length === 1 ? first.values : rows.flatMap((row) => (row as UpsertRow).values);
    }
    const keys = rows.map((row) => row.key);
    return first.kind === 'archive' ? [booleanValue(dialect, true), ...keys] : keys;
  }

  function groupRows(rows: ReadonlyArray<Row>, copyCreates: boolean): Group[] {
    const groups: Group[] = [];
    const earlier = new Set<string>();
    let current: Group | undefined;
    for (const row of rows) {
      const copy =
        copyCreates &&
        row.kind === 'upsert' &&
        row.created &&
        !earlier.has(row.key) &&
        !current?.keys.has(row.key);
      // A key repeated in one multi-row upsert is an error in PostgreSQL; order is kept.
      if (
        !current ||
        current.signature !== row.signature ||
        current.keys.has(row.key) ||
        current.copy !== copy
      ) {
        for (const key of current?.keys ?? []) earlier.add(key);
        current = { signature: row.signature, rows: [], keys: new Set(), copy };
        groups.push(current);
      }
      current.rows.push(row);
      current.keys.add(row.key);
    }
    return groups;
  }

  return (rows, options) =>
    groupRows(rows, dialect === 'postgres' && options?.copyCreates === true).flatMap(statementsFor);
}

/**
 * The rows of one PostgreSQL upsert as a JSON array of objects keyed by column (one native
 * JSON.stringify of the whole page). A value for a json or jsonb column is JSON text already
 * and goes in as the JSON it holds (text that is no JSON goes in as a JSON string); a bigint
 * goes in as its digits.
 */
function rowsAsJson(rows: readonly UpsertRow[], columns: ColumnTypes): string {
  const names = rows[0]!.columns;
  const holdsJson = names.map((column) => {
    const type = columns.get(column);
    return type === 'json' || type === 'jsonb';
  });
  const special = holdsJson.some(Boolean);
  // A column may be called __proto__ (a valid identifier): a plain object would take it as
  // its prototype instead of a key.
  const plain = !names.includes('__proto__');
  const objects: Array<Record<string, unknown>> = new Array(rows.length);
  for (let row = 0; row < rows.length; row++) {
    const values = rows[row]!.values;
    const object: Record<string, unknown> = plain ? {} : Object.create(null);
    for (let index = 0; index < values.length; index++) {
      const value = values[index]!;
      object[names[index]!] =
        typeof value === 'bigint'
          ? value.toString()
          : special && holdsJson[index] && typeof value === 'string'
            ? parsedJson(value)
            : value;
    }
    objects[row] = object;
  }
  return JSON.stringify(objects);
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
