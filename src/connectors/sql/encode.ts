import { canonicalJson, describeError, type NeutralValue, RecordError } from '../../model/index.js';
import type { SqlDialect, SqlValue } from './client.js';
import { booleanValue } from './dialect.js';

/**
 * A neutral value as a statement parameter: Dates as ISO strings, booleans as the dialect
 * stores them, lists and objects as JSON text. A value with no SQL form is refused, naming
 * the record and the field.
 */
export function encodeValue(
  dialect: SqlDialect,
  value: NeutralValue,
  key: string,
  field: string,
): SqlValue {
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'boolean') return booleanValue(dialect, value);
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw refuse(key, field, `is ${value}, which has no SQL form`);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw refuse(key, field, 'is an invalid Date');
    return value.toISOString();
  }
  return encodeJson(value, key, field);
}

/** JSON text of a list, an object, or the fields that go to the JSON column. */
export function encodeJson(value: unknown, key: string, field?: string): string {
  try {
    return canonicalJson(value);
  } catch (error) {
    const where = field === undefined ? '' : ` field \`${field}\`:`;
    const nested = (error as RecordError).field;
    throw new RecordError(
      `record ${key}:${where} ${describeError(error)}`,
      { key, field: field ?? nested },
      { cause: error },
    );
  }
}

function refuse(key: string, field: string, problem: string): RecordError {
  return new RecordError(`record ${key}: field \`${field}\` ${problem}`, { key, field });
}
