import { type Cursor, KeepsyncError } from '../../model/index.js';
import { shiftTimestampBack } from './timestamps.js';

/**
 * Where an incremental read resumes: the cursor column's value of the last row read and that
 * row's key. Rows sharing the value are ordered by key, so none is skipped at a page edge.
 */
export interface SqlCursor {
  readonly v: string | number | null;
  readonly k: string;
}

export function parseSqlCursor(cursor: Cursor, table: string): SqlCursor | null {
  if (cursor === null) return null;
  if (typeof cursor === 'object' && !Array.isArray(cursor)) {
    const { v, k } = cursor as { v?: unknown; k?: unknown };
    const validValue =
      v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    if (validValue && typeof k === 'string' && Object.keys(cursor).length === 2) {
      return { v: v as SqlCursor['v'], k };
    }
  }
  throw new KeepsyncError(
    'CURSOR_INVALID',
    `The cursor of sql table ${table} should look like {"v": <cursor value>, "k": <last key>}, got ${JSON.stringify(cursor)}; run \`keepsync reset\` to read from the start`,
  );
}

/** The cursor value `lookbackMs` earlier: numbers count in the column's own unit. */
export function lookbackStart(
  value: string | number,
  lookbackMs: number,
  table: string,
  column: string,
): string | number {
  if (typeof value === 'number') return value - lookbackMs;
  const shifted = shiftTimestampBack(value, lookbackMs);
  if (shifted === null) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `\`lookbackMs\` needs a cursor column of date-times or numbers, but ${table}.${column} holds ${JSON.stringify(value)}`,
    );
  }
  return shifted;
}
