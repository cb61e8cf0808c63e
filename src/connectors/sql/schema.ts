import type { SqlClient } from './client.js';
import { quoteIdentifier, type TableRef } from './identifiers.js';

/** Column name -> declared type, lower case, as the database reports it. */
export type ColumnTypes = ReadonlyMap<string, string>;

/** The table's columns, or null when the table does not exist. */
export async function readColumns(client: SqlClient, table: TableRef): Promise<ColumnTypes | null> {
  const rows =
    client.dialect === 'sqlite'
      ? await client.query('SELECT name, type FROM pragma_table_info(?, ?)', [
          table.name,
          table.schema ?? 'main',
        ])
      : await client.query(
          'SELECT column_name AS name, data_type AS type FROM information_schema.columns ' +
            'WHERE table_schema = COALESCE($2, current_schema()) AND table_name = $1',
          [table.name, table.schema ?? null],
        );
  if (rows.length === 0) return null;
  return new Map(rows.map((row) => [String(row.name), String(row.type ?? '').toLowerCase()]));
}

export interface NewColumn {
  readonly name: string;
  /** Type and constraints, e.g. `TEXT` or `BOOLEAN NOT NULL DEFAULT false`. */
  readonly definition: string;
}

export async function createTable(
  client: SqlClient,
  table: TableRef,
  keyColumn: string,
  columns: readonly NewColumn[],
): Promise<void> {
  const definitions = [
    `${quoteIdentifier(keyColumn)} TEXT PRIMARY KEY`,
    ...columns.map((column) => `${quoteIdentifier(column.name)} ${column.definition}`),
  ];
  await client.query(`CREATE TABLE IF NOT EXISTS ${table.sql} (${definitions.join(', ')})`);
}

export async function addColumns(
  client: SqlClient,
  table: TableRef,
  columns: readonly NewColumn[],
): Promise<void> {
  for (const column of columns) {
    const name = quoteIdentifier(column.name);
    if (client.dialect === 'postgres') {
      await client.query(
        `ALTER TABLE ${table.sql} ADD COLUMN IF NOT EXISTS ${name} ${column.definition}`,
      );
      continue;
    }
    try {
      await client.query(`ALTER TABLE ${table.sql} ADD COLUMN ${name} ${column.definition}`);
    } catch (error) {
      // Another writer added it first; SQLite has no ADD COLUMN IF NOT EXISTS.
      if (!/duplicate column name/i.test((error as Error).message)) throw error;
    }
  }
}

/**
 * Whether PostgreSQL refuses a second row of a key: an immediate, non-partial unique index
 * on the key column alone (what ON CONFLICT (key) needs too). A COPY relies on it to fail
 * rather than duplicate a row that exists already.
 */
export async function hasUniqueKey(
  client: SqlClient,
  table: TableRef,
  keyColumn: string,
): Promise<boolean> {
  const rows = await client.query(
    `SELECT 1 AS found FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
     WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indimmediate
       AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attname = $2
     LIMIT 1`,
    [table.sql, keyColumn],
  );
  return rows.length > 0;
}
