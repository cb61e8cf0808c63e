import { z } from 'zod';
import {
  describeError,
  isKeepsyncError,
  KeepsyncError,
  type NeutralValue,
  RecordError,
  type SyncRecord,
} from '../../model/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import {
  clientSchema,
  type SqlClient,
  type SqlDialect,
  type SqlStatement,
  type SqlValue,
} from './client.js';
import {
  booleanValue,
  columnTypeFor,
  jsonColumnType,
  jsonMergeSql,
  Placeholders,
  placeholderAt,
} from './dialect.js';
import { encodeJson, encodeValue } from './encode.js';
import {
  checkIdentifier,
  isIdentifier,
  parseTable,
  quoteIdentifier,
  type TableRef,
} from './identifiers.js';
import {
  addColumns,
  type ColumnTypes,
  createTable,
  type NewColumn,
  readColumns,
} from './schema.js';
import { isTransientSqlError } from './transient.js';

export interface SqlDestinationOptions {
  /** The database: `sqliteClient(...)` or `postgresClient(...)`. It stays open after a run. */
  client: SqlClient;
  /** `table` or `schema.table`; letters, digits and underscores only. */
  table: string;
  /** Column of the record key; it needs a PRIMARY KEY or UNIQUE constraint. @default 'key' */
  keyColumn?: string;
  /** Field -> column. Fields not listed go to the column of the same name. */
  columns?: Readonly<Record<string, string>>;
  /**
   * A JSON column (JSON text in SQLite, jsonb in PostgreSQL) for fields without a column of
   * their own, merged field by field on update. Without it such fields are refused.
   */
  jsonColumn?: string;
  /** Column for the record body. Without it bodies are not stored. */
  bodyColumn?: string;
  /** Boolean column `archive` sets and create/update clear. Without it `archive` is refused. */
  archivedColumn?: string;
  /**
   * Create the table when it is missing (key TEXT PRIMARY KEY plus the columns above), and add
   * a column the first time a field without one arrives, typed from its value.
   * @default false
   */
  createTable?: boolean;
  /** @default 'sql' */
  name?: string;
}

interface Settings {
  readonly name: string;
  readonly client: SqlClient;
  readonly dialect: SqlDialect;
  readonly table: TableRef;
  readonly key: string;
  readonly columns: ReadonlyMap<string, string>;
  readonly json: string | undefined;
  readonly body: string | undefined;
  readonly archived: string | undefined;
  readonly createTable: boolean;
}

/** Alias of the stored row inside an upsert, for the JSON merge. */
const TARGET = quoteIdentifier('keepsync_target');
/** PostgreSQL's limit on parameters per statement. */
const MAX_PARAMS = 65_535;
const MAX_ROWS_PER_STATEMENT = 1_000;
const LOOKUP_CHUNK = 500;

/**
 * Mirrors records into a SQLite or PostgreSQL table, one row per key (the destination id).
 * Each write() is one transaction of batched upserts that set only the columns a record
 * carries, so an update is a patch and create-only columns keep their values.
 */
const optionsSchema = z
  .object({
    client: clientSchema,
    table: z.string({ message: 'the table to write to is required' }),
    keyColumn: z.string().optional(),
    columns: z.record(z.string(), z.string()).optional(),
    jsonColumn: z.string().optional(),
    bodyColumn: z.string().optional(),
    archivedColumn: z.string().optional(),
    createTable: z.boolean().optional(),
    name: z.string().optional(),
  })
  .strict();

export function destination(options: SqlDestinationOptions): Destination {
  checkOptions(optionsSchema, options ?? {}, 'sql.destination');
  const settings = resolve(options);
  return {
    name: settings.name,
    async open() {
      return createSession(settings, await prepareTable(settings));
    },
    async truncate() {
      if ((await readColumns(settings.client, settings.table)) === null) return;
      await settings.client.query(`DELETE FROM ${settings.table.sql}`);
    },
  };
}

function resolve(options: SqlDestinationOptions): Settings {
  const columns = new Map<string, string>();
  for (const [field, column] of Object.entries(options.columns ?? {})) {
    columns.set(field, checkIdentifier(column, `the column of field \`${field}\` in \`columns\``));
  }
  const optional = (name: string | undefined, what: string) =>
    name === undefined ? undefined : checkIdentifier(name, what);
  return {
    name: options.name ?? 'sql',
    client: options.client,
    dialect: options.client.dialect,
    table: parseTable(options.table),
    key: checkIdentifier(options.keyColumn ?? 'key', '`keyColumn`'),
    columns,
    json: optional(options.jsonColumn, '`jsonColumn`'),
    body: optional(options.bodyColumn, '`bodyColumn`'),
    archived: optional(options.archivedColumn, '`archivedColumn`'),
    createTable: options.createTable ?? false,
  };
}

/** The roles of the columns keepsync itself fills, for checks and messages. */
function specialColumns(settings: Settings): Map<string, string> {
  const roles = new Map<string, string>([[settings.key, 'key']]);
  if (settings.json) roles.set(settings.json, 'JSON');
  if (settings.body) roles.set(settings.body, 'body');
  if (settings.archived) roles.set(settings.archived, 'archived');
  return roles;
}

function specialDefinitions(settings: Settings): NewColumn[] {
  const columns: NewColumn[] = [];
  if (settings.json)
    columns.push({ name: settings.json, definition: jsonColumnType(settings.dialect) });
  if (settings.body) columns.push({ name: settings.body, definition: 'TEXT' });
  if (settings.archived) {
    const no = settings.dialect === 'sqlite' ? '0' : 'false';
    columns.push({ name: settings.archived, definition: `BOOLEAN NOT NULL DEFAULT ${no}` });
  }
  return columns;
}

/** Checks (or, with createTable, creates) the table and the columns keepsync fills itself. */
async function prepareTable(settings: Settings): Promise<ColumnTypes> {
  const { client, table } = settings;
  let columns = await readColumns(client, table);
  if (columns === null) {
    if (!settings.createTable) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Table ${table.label} does not exist; create it or set \`createTable: true\``,
      );
    }
    await createTable(client, table, settings.key, specialDefinitions(settings));
  } else if (settings.createTable) {
    const existing = columns;
    await addColumns(
      client,
      table,
      specialDefinitions(settings).filter((column) => !existing.has(column.name)),
    );
  }
  columns = (await readColumns(client, table)) ?? new Map();
  for (const [column, role] of specialColumns(settings)) {
    if (!columns.has(column)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Table ${table.label} has no column \`${column}\` (the ${role} column)`,
      );
    }
  }
  return columns;
}

/** One row to upsert: its columns (fields sorted, then keepsync's own) and their values. */
interface UpsertRow {
  readonly kind: 'upsert';
  readonly key: string;
  readonly columns: readonly string[];
  readonly values: readonly SqlValue[];
  /** The neutral values behind `values`, for typing new columns. */
  readonly neutral: readonly NeutralValue[];
  readonly signature: string;
}

interface RemoveRow {
  readonly kind: 'archive' | 'delete';
  readonly key: string;
  readonly signature: string;
}

type Row = UpsertRow | RemoveRow;

interface Group {
  readonly signature: string;
  readonly rows: Row[];
  readonly keys: Set<string>;
}

function createSession(settings: Settings, initialColumns: ColumnTypes): DestinationSession {
  const { client, dialect, table } = settings;
  let columns = initialColumns;
  const roles = specialColumns(settings);
  const sqlCache = new Map<string, string>();

  function planUpsert(rowKey: string, record: SyncRecord): UpsertRow {
    const named: Array<{ column: string; value: NeutralValue; field: string }> = [];
    const used = new Map<string, string>();
    const extra: Record<string, NeutralValue> = {};
    let hasExtra = false;
    for (const [field, value] of Object.entries(record.fields)) {
      if (value === undefined) continue;
      const column = settings.columns.get(field) ?? field;
      const role = roles.get(column);
      if (role === 'key' && typeof value === 'string' && value === rowKey) continue;
      if (role !== undefined) {
        throw new RecordError(
          `record ${rowKey}: field \`${field}\` would overwrite the ${role} column \`${column}\` of table ${table.label}; map it to another column with \`columns\``,
          { key: rowKey, field },
        );
      }
      if (columns.has(column) || (settings.createTable && isIdentifier(column))) {
        const other = used.get(column);
        if (other !== undefined) {
          throw new RecordError(
            `record ${rowKey}: fields \`${other}\` and \`${field}\` both map to column \`${column}\` of table ${table.label}`,
            { key: rowKey, field },
          );
        }
        used.set(column, field);
        named.push({ column, value, field });
      } else if (settings.json) {
        extra[field] = value;
        hasExtra = true;
      } else {
        const why = isIdentifier(column) ? '' : ' (its name is not a valid column name)';
        throw new RecordError(
          `record ${rowKey}: field \`${field}\` has no column in table ${table.label}${why}; add the column, map the field with \`columns\`, or set \`jsonColumn\``,
          { key: rowKey, field },
        );
      }
    }
    named.sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
    const rowColumns = [settings.key];
    const values: SqlValue[] = [rowKey];
    const neutral: NeutralValue[] = [rowKey];
    for (const { column, value, field } of named) {
      rowColumns.push(column);
      values.push(encodeValue(dialect, value, rowKey, field));
      neutral.push(value);
    }
    if (hasExtra && settings.json) {
      rowColumns.push(settings.json);
      values.push(encodeJson(extra, rowKey));
      neutral.push(extra);
    }
    if (settings.body && record.body !== undefined) {
      rowColumns.push(settings.body);
      values.push(record.body);
      neutral.push(record.body);
    }
    if (settings.archived) {
      rowColumns.push(settings.archived);
      values.push(booleanValue(dialect, false));
      neutral.push(false);
    }
    return {
      kind: 'upsert',
      key: rowKey,
      columns: rowColumns,
      values,
      neutral,
      signature: `upsert\u0000${rowColumns.join('\u0000')}`,
    };
  }

  function plan(op: WriteOp): Row {
    switch (op.kind) {
      case 'create':
        return planUpsert(op.key, op.record);
      case 'update':
        return planUpsert(op.destId, op.record);
      case 'archive':
        if (!settings.archived) {
          throw new RecordError(
            `record ${op.key}: table ${table.label} has no archived column; set \`archivedColumn\` to archive rows`,
            { key: op.key },
          );
        }
        return { kind: 'archive', key: op.destId, signature: 'archive' };
      case 'delete':
        return { kind: 'delete', key: op.destId, signature: 'delete' };
    }
  }

  /** With createTable, adds a column for every field this batch brings that has none yet. */
  async function addMissingColumns(rows: readonly Row[]): Promise<void> {
    if (!settings.createTable) return;
    const samples = new Map<string, NeutralValue>();
    for (const row of rows) {
      if (row.kind !== 'upsert') continue;
      row.columns.forEach((column, index) => {
        const current = samples.get(column);
        if (!columns.has(column) && (current === undefined || current === null)) {
          samples.set(column, row.neutral[index]!);
        }
      });
    }
    if (samples.size === 0) return;
    const added = [...samples].map(([name, sample]) => ({
      name,
      definition: columnTypeFor(dialect, sample),
    }));
    await addColumns(client, table, added);
    columns = (await readColumns(client, table)) ?? columns;
  }

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
              ? jsonMergeSql(dialect, TARGET, column, columns.get(column))
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

  async function runRows(rows: readonly Row[]): Promise<void> {
    await client.transaction(groupRows(rows).flatMap(statementsFor));
  }

  function failure(row: Row, error: unknown): WriteResult {
    const message = describeError(error);
    if (isTransientSqlError(error)) return { status: 'retryable', error: message };
    const column = (error as { column?: unknown }).column;
    const where = typeof column === 'string' ? ` (column \`${column}\`)` : '';
    const hint = /ON CONFLICT/i.test(message)
      ? `; give \`${settings.key}\` a PRIMARY KEY or UNIQUE constraint`
      : '';
    return {
      status: 'rejected',
      error: `table ${table.label}, record ${row.key}: ${message}${where}${hint}`,
    };
  }

  return {
    async lookup(keys) {
      const found = new Map<string, string>();
      const key = quoteIdentifier(settings.key);
      for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) {
        const params = new Placeholders(dialect);
        const list = keys.slice(start, start + LOOKUP_CHUNK).map((item) => params.add(item));
        const rows = await client.query(
          `SELECT ${key} AS k FROM ${table.sql} WHERE ${key} IN (${list.join(', ')})`,
          params.values,
        );
        for (const row of rows) found.set(String(row.k), String(row.k));
      }
      return found;
    },

    async write(ops) {
      const results: WriteResult[] = new Array(ops.length);
      const planned: Array<{ index: number; row: Row }> = [];
      ops.forEach((op, index) => {
        try {
          planned.push({ index, row: plan(op) });
        } catch (error) {
          if (!isKeepsyncError(error)) throw error;
          results[index] = { status: 'rejected', error: error.message };
        }
      });
      const succeed = (index: number) => {
        const op = ops[index]!;
        results[index] = { status: 'ok', destId: op.kind === 'create' ? op.key : op.destId };
      };
      if (planned.length === 0) return results;
      await addMissingColumns(planned.map(({ row }) => row));
      try {
        await runRows(planned.map(({ row }) => row));
        for (const { index } of planned) succeed(index);
        return results;
      } catch (error) {
        if (isTransientSqlError(error) || planned.length === 1) {
          for (const { index, row } of planned) results[index] = failure(row, error);
          return results;
        }
      }
      // The batch was rolled back by one bad row: write rows one by one to find it.
      for (const { index, row } of planned) {
        try {
          await runRows([row]);
          succeed(index);
        } catch (error) {
          results[index] = failure(row, error);
        }
      }
      return results;
    },

    async close() {},
  };
}
