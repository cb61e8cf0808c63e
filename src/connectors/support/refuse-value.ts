import { type NeutralValue, RecordError } from '../../model/index.js';

/** The record field a value comes from. */
export interface RecordField {
  readonly key: string;
  readonly field: string;
}

/** Refuses a value a service cannot take: names the record, the field, the target and the value. */
export type RefuseValue = (
  where: RecordField,
  target: string,
  expected: string,
  value: NeutralValue,
) => never;

/** The record rejection of one service's encoder ("cannot be written to Jira field `summary`"). */
export function valueRefuser(service: string): RefuseValue {
  return (where, target, expected, value) => {
    const shown = value instanceof Date ? value.toISOString() : JSON.stringify(value);
    throw new RecordError(
      `record ${where.key}: field \`${where.field}\` cannot be written to ${service} ${target}: expected ${expected}, got ${shown && shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}`,
      { key: where.key, field: where.field },
    );
  };
}
