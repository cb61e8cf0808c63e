import type { NeutralValue } from '../../model/index.js';
import type { SqlDialect } from './client.js';
import { parseTimestamp } from './timestamps.js';

/**
 * A column value as a neutral value. PostgreSQL's driver already returns booleans, Dates and
 * parsed JSON; SQLite stores them as 1/0 and text, so its declared column types (as
 * `createTable` writes them: BOOLEAN, TIMESTAMP, JSON) say how to read them back. JSON kept
 * as text (`declaredType` containing `json`) is parsed in both dialects.
 */
export function decodeValue(
  dialect: SqlDialect,
  declaredType: string | undefined,
  value: unknown,
): NeutralValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (declaredType === undefined || typeof value === 'object') return value as NeutralValue;
  if (dialect === 'sqlite' && declaredType.includes('bool') && typeof value === 'number') {
    return value !== 0;
  }
  if (
    dialect === 'sqlite' &&
    /timestamp|datetime/.test(declaredType) &&
    typeof value === 'string'
  ) {
    return parseTimestamp(value) ?? value;
  }
  if (declaredType.includes('json') && typeof value === 'string') {
    try {
      return JSON.parse(value) as NeutralValue;
    } catch {
      return value;
    }
  }
  return value as NeutralValue;
}
