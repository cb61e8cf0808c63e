import type { NeutralValue, SyncRecord } from '../../model/index.js';
import type { SqlClient, SqlDialect, SqlRowArrays, SqlValue } from './client.js';
import { type ColumnDecoder, columnDecoder } from './decode.js';
import type { ColumnTypes } from './schema.js';
import { parseTimestamp } from './timestamps.js';

/** Alias of the cursor value in result rows; no real column is expected to use it. */
export const CURSOR_ALIAS = 'keepsync_cursor_value';

/** What the row reader needs of the sql source's settings: which columns are what. */
export interface RowColumns {
  readonly dialect: SqlDialect;
  readonly key: string;
  readonly cursor: string;
  readonly columns: ReadonlyMap<string, string> | undefined;
  readonly json: string | undefined;
  readonly body: string | undefined;
}

/** A query's rows as arrays, through the client's own queryArrays when it has one. */
export async function selectRows(
  client: SqlClient,
  sql: string,
  params: readonly SqlValue[],
): Promise<SqlRowArrays> {
  if (client.queryArrays) return client.queryArrays(sql, params);
  const rows = await client.query(sql, params);
  const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
  return { columns, rows: rows.map((row) => columns.map((column) => row[column])) };
}

/** Turns rows into records; a result's columns and their decoders are worked out once per shape. */
export type RowReader = (result: SqlRowArrays) => SyncRecord[];

/** Where a record's parts are in a result's arrays (-1: not in it). */
interface RowPlan {
  /** [field, column index, decoder] */
  readonly fields: ReadonlyArray<readonly [string, number, ColumnDecoder]>;
  readonly key: number;
  readonly cursor: number;
  readonly cursorText: number;
  readonly json: number;
  readonly body: number;
}

export function rowReader(settings: RowColumns, types: ColumnTypes): RowReader {
  const decoder = (column: string) => columnDecoder(settings.dialect, types.get(column));
  const decodeJson = settings.json ? columnDecoder(settings.dialect, 'json') : undefined;
  const skipped = new Set([settings.key, CURSOR_ALIAS, settings.json, settings.body]);
  const at = (columns: readonly string[], column: string | undefined) =>
    column === undefined ? -1 : columns.indexOf(column);
  const planOf = (columns: readonly string[]): RowPlan => ({
    // With no `columns` option, every column of the rows, each field named after its column.
    fields: settings.columns
      ? [...settings.columns].map(
          ([field, column]) => [field, columns.indexOf(column), decoder(column)] as const,
        )
      : columns.flatMap((column, index) =>
          skipped.has(column) ? [] : [[column, index, decoder(column)] as const],
        ),
    key: at(columns, settings.key),
    cursor: at(columns, settings.cursor),
    cursorText: at(columns, CURSOR_ALIAS),
    json: at(columns, settings.json),
    body: at(columns, settings.body),
  });
  let plan: RowPlan | undefined;
  let planFor: readonly string[] | undefined;
  let planSignature: string | undefined;
  const recordOf = (row: readonly unknown[], plan: RowPlan): SyncRecord => {
    const fields: Record<string, NeutralValue> = {};
    if (decodeJson && plan.json >= 0) {
      const stored = decodeJson(row[plan.json]);
      if (stored !== null && typeof stored === 'object' && !Array.isArray(stored)) {
        Object.assign(fields, stored);
      }
    }
    for (const [field, index, decode] of plan.fields) fields[field] = decode(row[index]);
    const body = plan.body >= 0 ? row[plan.body] : undefined;
    const rawCursor = row[plan.cursor];
    const cursorText = row[plan.cursorText];
    const updatedAt =
      rawCursor instanceof Date
        ? rawCursor
        : typeof cursorText === 'string'
          ? (parseTimestamp(cursorText) ?? undefined)
          : undefined;
    return {
      key: String(row[plan.key]),
      fields,
      body: typeof body === 'string' ? body : undefined,
      updatedAt,
    };
  };
  return ({ columns, rows }) => {
    if (plan === undefined || columns !== planFor) {
      // A client may hand out a fresh column list per query: the names decide.
      const signature = columns.join('\u0000');
      if (plan === undefined || signature !== planSignature) plan = planOf(columns);
      planFor = columns;
      planSignature = signature;
    }
    const current = plan;
    return rows.map((row) => recordOf(row, current));
  };
}
