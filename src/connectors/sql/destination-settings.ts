import { KeepsyncError } from '../../model/index.js';
import type { SqlClient, SqlDialect } from './client.js';
import { jsonColumnType } from './dialect.js';
import { checkIdentifier, parseTable, type TableRef } from './identifiers.js';
import {
  addColumns,
  type ColumnTypes,
  createTable,
  type NewColumn,
  readColumns,
} from './schema.js';

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

export interface DestinationSettings {
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

export function resolveDestination(options: SqlDestinationOptions): DestinationSettings {
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
export function specialColumns(settings: DestinationSettings): Map<string, string> {
  const roles = new Map<string, string>([[settings.key, 'key']]);
  if (settings.json) roles.set(settings.json, 'JSON');
  if (settings.body) roles.set(settings.body, 'body');
  if (settings.archived) roles.set(settings.archived, 'archived');
  return roles;
}

function specialDefinitions(settings: DestinationSettings): NewColumn[] {
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
export async function prepareTable(settings: DestinationSettings): Promise<ColumnTypes> {
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
