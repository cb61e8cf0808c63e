import type { NeutralValue } from '../../model/index.js';
import type { SqlDialect } from './client.js';
import { parseTimestamp } from './timestamps.js';

/** Reads one column's values as neutral values. */
export type ColumnDecoder = (value: unknown) => NeutralValue;

/**
 * How to read a column's values, chosen once per column from its declared type (a read
 * decodes every value of a page with it). PostgreSQL's driver already returns booleans,
 * Dates and parsed JSON; SQLite stores them as 1/0 and text, so its declared column types
 * (as `createTable` writes them: BOOLEAN, TIMESTAMP, JSON) say how to read them back. JSON
 * kept as text (`declaredType` containing `json`) is parsed in both dialects.
 */
export function columnDecoder(
  dialect: SqlDialect,
  declaredType: string | undefined,
): ColumnDecoder {
  if (declaredType === undefined) return decodeCommon;
  if (dialect === 'sqlite' && declaredType.includes('bool')) {
    return (value) => (typeof value === 'number' ? value !== 0 : decodeCommon(value));
  }
  if (dialect === 'sqlite' && /timestamp|datetime/.test(declaredType)) {
    return (value) =>
      typeof value === 'string' ? (parseTimestamp(value) ?? value) : decodeCommon(value);
  }
  if (declaredType.includes('json')) {
    return (value) => (typeof value === 'string' ? parseJson(value) : decodeCommon(value));
  }
  return decodeCommon;
}

/** A column value as a neutral value; see columnDecoder. */
export function decodeValue(
  dialect: SqlDialect,
  declaredType: string | undefined,
  value: unknown,
): NeutralValue {
  return columnDecoder(dialect, declaredType)(value);
}

/** What every column type shares: NULLs, blobs, big integers; other values as they are. */
function decodeCommon(value: unknown): NeutralValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  return value as NeutralValue;
}

function parseJson(text: string): NeutralValue {
  try {
    return JSON.parse(text) as NeutralValue;
  } catch {
    return text;
  }
}
