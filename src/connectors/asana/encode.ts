import { type NeutralValue, RecordError } from '../../model/index.js';
import { type RecordField, valueRefuser } from '../support/index.js';
import type { AsanaCustomField } from './client.js';

/** Task fields keepsync writes natively. */
export type AsanaTaskField = 'name' | 'notes' | 'completed' | 'due_on';

/** Asana caps task notes at 65,535 characters. */
export const MAX_NOTES = 65_535;
/** Asana caps a text custom field's value at 1,024 characters. */
export const MAX_TEXT_VALUE = 1024;

type Where = RecordField;

const refuse = valueRefuser('Asana');

/** Encodes a neutral value for a native task field. */
export function encodeTaskField(field: AsanaTaskField, value: NeutralValue, where: Where): unknown {
  switch (field) {
    case 'name':
    case 'notes': {
      const text =
        value === null ? '' : value instanceof Date ? value.toISOString() : String(value);
      return field === 'notes' ? text.slice(0, MAX_NOTES) : text;
    }
    case 'completed':
      if (typeof value === 'boolean') return value;
      return refuse(where, 'field `completed`', 'true or false', value);
    case 'due_on':
      return value === null
        ? null
        : (dateOnly(value) ?? refuse(where, 'field `due_on`', 'a date', value));
  }
}

/**
 * Encodes a neutral value for a custom field of the given type: text, number, enum (option
 * by name), multi_enum (options by name) or date (`{ date: 'YYYY-MM-DD' }`).
 */
export function encodeCustomField(
  field: AsanaCustomField,
  value: NeutralValue,
  where: Where,
): unknown {
  const target = `custom field \`${field.name}\` (${field.resource_subtype})`;
  if (value === null) return null;
  switch (field.resource_subtype) {
    case 'text': {
      if (typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
        return refuse(where, target, 'text', value);
      }
      const text = Array.isArray(value)
        ? value.map((item) => String(item)).join(', ')
        : value instanceof Date
          ? value.toISOString()
          : String(value);
      if (text.length > MAX_TEXT_VALUE) {
        throw new RecordError(
          `record ${where.key}: field \`${where.field}\` holds ${text.length} characters; Asana ${target} takes at most ${MAX_TEXT_VALUE}`,
          { key: where.key, field: where.field },
        );
      }
      return text;
    }
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      return refuse(where, target, 'a finite number', value);
    case 'enum':
      return optionGid(field, value, where, target);
    case 'multi_enum':
      return (Array.isArray(value) ? value : [value]).map((item) =>
        optionGid(field, item, where, target),
      );
    case 'date': {
      const date = dateOnly(value);
      return date ? { date } : refuse(where, target, 'a date', value);
    }
    default:
      return refuse(where, target, 'a writable custom field type', value);
  }
}

function optionGid(
  field: AsanaCustomField,
  value: NeutralValue,
  where: Where,
  target: string,
): string {
  const name = typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  const option = field.enum_options?.find(
    (candidate) => candidate.name === name && candidate.enabled !== false,
  );
  if (!option) {
    const names = (field.enum_options ?? []).map((candidate) => candidate.name).join(', ');
    return refuse(where, target, `one of its options (${names})`, value);
  }
  return option.gid;
}

function dateOnly(value: NeutralValue): string | undefined {
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value.slice(0, 10);
  return undefined;
}
