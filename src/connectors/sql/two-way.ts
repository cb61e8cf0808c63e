import { z } from 'zod';
import { checkOptions, optionsSchema } from '../../sync/index.js';
import { sideFrom, type TwoWaySide } from '../../twoway/index.js';
import { clientSchema, type SqlClient } from './client.js';
import { destination } from './destination.js';
import { parseTable, quoteIdentifier } from './identifiers.js';
import { source } from './source.js';

export interface SqlTwoWayOptions {
  /** The database: `sqliteClient(...)` or `postgresClient(...)`. */
  client: SqlClient;
  /** `table` or `schema.table`. */
  table: string;
  /** Column of the key; PRIMARY KEY or UNIQUE. @default 'key' */
  keyColumn?: string;
  /**
   * Column that grows when a row changes (e.g. `updated_at`); incremental reads follow it,
   * and date-time values give `updatedAt` for the `newer` rule.
   */
  cursorColumn: string;
  /** Field -> column, for fields named differently from their column. */
  columns?: Readonly<Record<string, string>>;
  /** A JSON column for fields without a column of their own. */
  jsonColumn?: string;
  /** Create the table (and columns) when missing. @default false */
  createTable?: boolean;
  /**
   * `incremental` reads only rows changed since the last run and lists the keys to see
   * deleted rows; `full` reads every row on every run. Both give the same result.
   * @default 'incremental'
   */
  mode?: 'full' | 'incremental';
  /** Re-read this much before the cursor (rows committed late). @default 0 */
  lookbackMs?: number;
  /** @default 1000 */
  pageSize?: number;
  /** @default 'sql' */
  name?: string;
}

const twoWaySchema = optionsSchema<SqlTwoWayOptions>({
  client: clientSchema,
  table: z.string({ message: 'the table to sync is required' }),
  keyColumn: z.string().optional(),
  cursorColumn: z.string({ message: 'the column to page and resume by is required' }),
  columns: z.record(z.string(), z.string()).optional(),
  jsonColumn: z.string().optional(),
  createTable: z.boolean().optional(),
  mode: z.enum(['full', 'incremental']).optional(),
  lookbackMs: z.number().optional(),
  pageSize: z.number().optional(),
  name: z.string().optional(),
});

/**
 * A SQLite or PostgreSQL table as one side of a two-way task: reads through the sql source,
 * writes through the sql destination (upserts that set only the synced columns), and a
 * key listing to notice deleted rows between incremental reads.
 */
export function twoWaySide(options: SqlTwoWayOptions): TwoWaySide {
  checkOptions(twoWaySchema, options ?? {}, 'sql.twoWaySide');
  const name = options.name ?? 'sql';
  const keyColumn = options.keyColumn ?? 'key';
  const table = parseTable(options.table);
  return sideFrom({
    source: source({
      client: options.client,
      table: options.table,
      keyColumn,
      cursorColumn: options.cursorColumn,
      columns: options.columns,
      jsonColumn: options.jsonColumn,
      pageSize: options.pageSize,
      lookbackMs: options.lookbackMs,
      name,
    }),
    destination: destination({
      client: options.client,
      table: options.table,
      keyColumn,
      columns: options.columns,
      jsonColumn: options.jsonColumn,
      createTable: options.createTable,
      name,
    }),
    mode: options.mode ?? 'incremental',
    name,
    async listKeys() {
      const rows = await options.client.query(
        `SELECT ${quoteIdentifier(keyColumn)} AS k FROM ${table.sql}`,
      );
      return rows.map((row) => String(row.k));
    },
  });
}
