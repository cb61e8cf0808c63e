import { z } from 'zod';
import { type Cursor, KeepsyncError, type SyncRecord } from '../../model/index.js';
import {
  checkOptions,
  type MissingCheck,
  optionsSchema,
  type ReadOptions,
  type Source,
  type SourcePage,
} from '../../sync/index.js';
import { clientSchema, type SqlClient, type SqlDialect } from './client.js';
import { lookbackStart, parseSqlCursor, type SqlCursor } from './cursor.js';
import { cursorValueSql, Placeholders } from './dialect.js';
import { checkIdentifier, parseTable, quoteIdentifier, type TableRef } from './identifiers.js';
import { CURSOR_ALIAS, rowReader, selectRows } from './row-reader.js';
import { type ColumnTypes, readColumns } from './schema.js';

export interface SqlSourceOptions {
  /** The database: `sqliteClient(...)` or `postgresClient(...)`. */
  client: SqlClient;
  /** `table` or `schema.table`; letters, digits and underscores only. */
  table: string;
  /** Column of the record key. @default 'key' */
  keyColumn?: string;
  /**
   * Column that grows when a row changes (e.g. `updated_at`, or a version number). Reads go
   * in (cursorColumn, keyColumn) order, so an index on both keeps them fast.
   */
  cursorColumn: string;
  /** Field -> column to read. By default every column, each field named after its column. */
  columns?: Readonly<Record<string, string>>;
  /** A JSON column whose members become fields (as the sql destination's `jsonColumn` writes). */
  jsonColumn?: string;
  /** Column read as the record body. */
  bodyColumn?: string;
  /** Rows per page. @default 1000 */
  pageSize?: number;
  /**
   * Each read starts this much before the cursor, to catch rows committed late with an older
   * cursor value (long transactions, clock skew). Re-read rows cost nothing: unchanged
   * records are skipped by hash. For a numeric cursor column it counts in the column's unit.
   * @default 0
   */
  lookbackMs?: number;
  /** Id of the one unit this source has. @default table */
  unit?: string;
  /** @default 'sql' */
  name?: string;
}

interface Settings {
  readonly client: SqlClient;
  readonly dialect: SqlDialect;
  readonly table: TableRef;
  readonly key: string;
  readonly cursor: string;
  readonly columns: ReadonlyMap<string, string> | undefined;
  readonly json: string | undefined;
  readonly body: string | undefined;
  readonly pageSize: number;
  readonly lookbackMs: number;
}

const KEYS_CHUNK = 500;

/**
 * Reads changed rows of a SQLite or PostgreSQL table (`incremental` mode) with a compound
 * cursor (cursor column value, key): rows that share the last value are never skipped, even
 * across a page edge or when added after the cursor was taken. Deleted rows are not seen.
 */
const sourceSchema = optionsSchema<SqlSourceOptions>({
  client: clientSchema,
  table: z.string({ message: 'the table to read is required' }),
  keyColumn: z.string().optional(),
  cursorColumn: z.string({ message: 'the column to page and resume by is required' }),
  columns: z.record(z.string(), z.string()).optional(),
  jsonColumn: z.string().optional(),
  bodyColumn: z.string().optional(),
  pageSize: z.number().optional(),
  lookbackMs: z.number().optional(),
  unit: z.string().min(1).optional(),
  name: z.string().optional(),
});

export function source(options: SqlSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'sql.source');
  const settings = resolve(options);
  const unit = options.unit ?? settings.table.label;
  return {
    name: options.name ?? 'sql',
    mode: 'incremental',
    units: () => [{ id: unit }],
    read: (unitId, readOptions) => readTable(settings, unit, unitId, readOptions),
    confirmMissing: (unitId, keys) => confirmMissing(settings, unit, unitId, keys),
  };
}

/** Looks the keys up by the key column: a key with no row is gone. */
async function confirmMissing(
  settings: Settings,
  unit: string,
  unitId: string,
  keys: readonly string[],
): Promise<MissingCheck> {
  checkUnit(settings, unit, unitId);
  const types = await checkColumns(settings);
  const found: SyncRecord[] = [];
  for await (const records of readKeys(settings, types, keys, undefined)) found.push(...records);
  const present = new Set(found.map((record) => record.key));
  return { gone: keys.filter((key) => !present.has(key)), found };
}

function checkUnit(settings: Settings, unit: string, unitId: string): void {
  if (unitId !== unit) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `The sql source of table ${settings.table.label} has no unit ${unitId}; its unit is ${unit}`,
    );
  }
}

/** The rows of these keys, a chunk of keys per query. */
async function* readKeys(
  settings: Settings,
  types: ColumnTypes,
  keys: readonly string[],
  signal: AbortSignal | undefined,
): AsyncGenerator<SyncRecord[]> {
  const select = selectList(settings);
  const key = quoteIdentifier(settings.key);
  const readRows = rowReader(settings, types);
  for (let start = 0; start < keys.length; start += KEYS_CHUNK) {
    signal?.throwIfAborted();
    const params = new Placeholders(settings.dialect);
    const list = keys.slice(start, start + KEYS_CHUNK).map((item) => params.add(item));
    const result = await selectRows(
      settings.client,
      `SELECT ${select} FROM ${settings.table.sql} WHERE ${key} IN (${list.join(', ')}) ORDER BY ${key}`,
      params.values,
    );
    yield readRows(result);
  }
}

function resolve(options: SqlSourceOptions): Settings {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`pageSize\` to be a positive integer, got ${pageSize}`,
    );
  }
  const lookbackMs = options.lookbackMs ?? 0;
  if (!Number.isFinite(lookbackMs) || lookbackMs < 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`lookbackMs\` to be a number of milliseconds >= 0, got ${lookbackMs}`,
    );
  }
  let columns: Map<string, string> | undefined;
  if (options.columns) {
    columns = new Map();
    for (const [field, column] of Object.entries(options.columns)) {
      columns.set(
        field,
        checkIdentifier(column, `the column of field \`${field}\` in \`columns\``),
      );
    }
  }
  return {
    client: options.client,
    dialect: options.client.dialect,
    table: parseTable(options.table),
    key: checkIdentifier(options.keyColumn ?? 'key', '`keyColumn`'),
    cursor: checkIdentifier(options.cursorColumn, '`cursorColumn`'),
    columns,
    json:
      options.jsonColumn === undefined
        ? undefined
        : checkIdentifier(options.jsonColumn, '`jsonColumn`'),
    body:
      options.bodyColumn === undefined
        ? undefined
        : checkIdentifier(options.bodyColumn, '`bodyColumn`'),
    pageSize,
    lookbackMs,
  };
}

async function* readTable(
  settings: Settings,
  unit: string,
  unitId: string,
  { cursor, keys, signal }: ReadOptions,
): AsyncGenerator<SourcePage> {
  const { client, table } = settings;
  checkUnit(settings, unit, unitId);
  const position = keys ? null : parseSqlCursor(cursor, table.label);
  const types = await checkColumns(settings);
  const readRows = rowReader(settings, types);
  const select = selectList(settings);
  const key = quoteIdentifier(settings.key);

  if (keys) {
    // A targeted read leaves the cursor where it was.
    for await (const records of readKeys(settings, types, keys, signal)) {
      if (records.length > 0) yield { records, cursor };
    }
    return;
  }

  const column = quoteIdentifier(settings.cursor);
  let after: SqlCursor | null = position;
  // The look-back applies to the first query of a read only; later pages follow the rows.
  let from =
    position && position.v !== null && settings.lookbackMs > 0
      ? lookbackStart(position.v, settings.lookbackMs, table.label, settings.cursor)
      : undefined;
  // Rows without a cursor value come first, in a pass of their own: a predicate that also
  // admitted NULLs (an OR, or NULLS FIRST) would make both databases scan instead of seek.
  let nullPass = after === null || after.v === null;
  for (;;) {
    signal?.throwIfAborted();
    const params = new Placeholders(settings.dialect);
    let where: string;
    if (nullPass) {
      where = `${column} IS NULL`;
      if (after) where += ` AND ${key} > ${params.add(after.k)}`;
    } else if (from !== undefined) {
      where = `${column} >= ${params.add(from)}`;
    } else if (after && after.v !== null) {
      // A row value is planned as a range search on an index over (cursor, key).
      where = `(${column}, ${key}) > (${params.add(after.v)}, ${params.add(after.k)})`;
    } else {
      where = `${column} IS NOT NULL`;
    }
    const result = await selectRows(
      client,
      `SELECT ${select} FROM ${table.sql} WHERE ${where} ORDER BY ${column}, ${key} LIMIT ${settings.pageSize}`,
      params.values,
    );
    const { columns, rows } = result;
    if (rows.length > 0) {
      const last = rows.at(-1)!;
      after = {
        v: cursorValue(last[columns.indexOf(CURSOR_ALIAS)], settings),
        k: String(last[columns.indexOf(settings.key)]),
      };
      from = undefined;
      yield { records: readRows(result), cursor: { v: after.v, k: after.k } satisfies Cursor };
    }
    if (rows.length < settings.pageSize) {
      if (!nullPass) return;
      nullPass = false;
      after = null;
    }
  }
}

async function checkColumns(settings: Settings): Promise<ColumnTypes> {
  const types = await readColumns(settings.client, settings.table);
  if (types === null) {
    throw new KeepsyncError('CONFIG_INVALID', `Table ${settings.table.label} does not exist`);
  }
  const needed = [
    settings.key,
    settings.cursor,
    ...(settings.columns?.values() ?? []),
    ...(settings.json ? [settings.json] : []),
    ...(settings.body ? [settings.body] : []),
  ];
  for (const column of needed) {
    if (!types.has(column)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Table ${settings.table.label} has no column \`${column}\``,
      );
    }
  }
  return types;
}

function selectList(settings: Settings): string {
  const cursor = `${cursorValueSql(settings.dialect, settings.cursor)} AS ${quoteIdentifier(CURSOR_ALIAS)}`;
  if (!settings.columns) return `*, ${cursor}`;
  const columns = new Set([settings.key, ...settings.columns.values()]);
  if (settings.json) columns.add(settings.json);
  if (settings.body) columns.add(settings.body);
  return [...[...columns].map(quoteIdentifier), cursor].join(', ');
}

function cursorValue(value: unknown, settings: Settings): string | number | null {
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return value.toString();
  throw new KeepsyncError(
    'CONFIG_INVALID',
    `The cursor column ${settings.table.label}.${settings.cursor} holds a value that cannot order rows: ${String(value)}`,
  );
}
