import { type NeutralValue, RecordError } from '../../model/index.js';

/** The property types keepsync writes. */
export type NotionPropertyType =
  | 'title'
  | 'rich_text'
  | 'number'
  | 'checkbox'
  | 'select'
  | 'multi_select'
  | 'date'
  | 'url'
  | 'email'
  | 'relation';

export const WRITABLE_TYPES: readonly NotionPropertyType[] = [
  'title',
  'rich_text',
  'number',
  'checkbox',
  'select',
  'multi_select',
  'date',
  'url',
  'email',
  'relation',
];

/** Notion's limit on the content of one rich text object. */
export const MAX_TEXT = 2000;
/** Notion's limit on rich text objects, options or related pages in one property value. */
const MAX_PARTS = 100;
const MAX_ITEMS = 100;
/** Notion's limits on the length of a URL or email value. */
const MAX_LENGTH = { url: 2000, email: 200 } as const;

/** Rich text objects for a string, split into 2,000-character parts (never inside a surrogate pair). */
export function richText(text: string): Array<{ type: 'text'; text: { content: string } }> {
  const parts: Array<{ type: 'text'; text: { content: string } }> = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + MAX_TEXT);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
    parts.push({ type: 'text', text: { content: text.slice(start, end) } });
    start = end;
  }
  return parts;
}

export interface EncodeContext {
  readonly key: string;
  readonly field: string;
  readonly property: string;
  /** Page ids of related records' keys (relations by key). */
  readonly resolveRelation: (key: string) => string | undefined;
}

/**
 * Encodes a neutral value as a Notion property value of the given type. Throws a RecordError
 * naming the record, the field and the property when the value does not fit.
 */
export function encodeValue(
  type: NotionPropertyType,
  value: NeutralValue,
  context: EncodeContext,
): Record<string, unknown> {
  const fail = (expected: string): never => {
    throw new RecordError(
      `record ${context.key}: field \`${context.field}\` cannot be written to Notion ${type} property \`${context.property}\`: expected ${expected}, got ${describe(value)}`,
      { key: context.key, field: context.field },
    );
  };
  switch (type) {
    case 'title':
    case 'rich_text': {
      if (value === null) return { [type]: [] };
      const text =
        value instanceof Date ? value.toISOString() : (scalarText(value) ?? fail('text'));
      const parts = richText(text);
      if (parts.length > MAX_PARTS) fail(`at most ${MAX_PARTS * MAX_TEXT} characters`);
      return { [type]: parts };
    }
    case 'number':
      if (value === null) return { number: null };
      if (typeof value === 'number' && Number.isFinite(value)) return { number: value };
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
        return { number: Number(value) };
      }
      return fail('a finite number');
    case 'checkbox':
      if (typeof value === 'boolean') return { checkbox: value };
      if (value === null) return { checkbox: false };
      return fail('true or false');
    case 'select':
      if (value === null) return { select: null };
      return { select: { name: optionName(scalarText(value) ?? fail('text'), fail) } };
    case 'multi_select': {
      const items = value === null ? [] : Array.isArray(value) ? value : [value];
      if (items.length > MAX_ITEMS) fail(`at most ${MAX_ITEMS} options`);
      return {
        multi_select: items.map((item: NeutralValue) => ({
          name: optionName(scalarText(item) ?? fail('a list of text'), fail),
        })),
      };
    }
    case 'date': {
      if (value === null) return { date: null };
      const date =
        value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
      if (!date || Number.isNaN(date.getTime())) return fail('a date');
      // A bare date string stays a date; anything with a time is written in UTC.
      const start =
        typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : date.toISOString();
      return { date: { start } };
    }
    case 'url':
    case 'email':
      if (value === null || value === '') return { [type]: null };
      if (typeof value !== 'string') return fail('text');
      if (value.length > MAX_LENGTH[type]) {
        fail(
          `${type === 'url' ? 'a URL' : 'an email address'} of at most ${MAX_LENGTH[type]} characters`,
        );
      }
      if (type === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value)) return fail('an email address');
      return { [type]: value };
    case 'relation': {
      const keys = value === null ? [] : Array.isArray(value) ? value : [value];
      if (keys.length > MAX_ITEMS) fail(`at most ${MAX_ITEMS} related records`);
      const ids: Array<{ id: string }> = [];
      for (const related of keys) {
        const relatedKey = scalarText(related) ?? fail('record keys');
        const id = context.resolveRelation(relatedKey);
        if (id === undefined) {
          throw new RecordError(
            `record ${context.key}: field \`${context.field}\` relates to record ${relatedKey}, which has no Notion page yet`,
            { key: context.key, field: context.field },
          );
        }
        ids.push({ id });
      }
      return { relation: ids };
    }
  }
}

function scalarText(value: NeutralValue): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Notion refuses option names with commas, and keeps at most 100 characters. */
function optionName(name: string, fail: (expected: string) => never): string {
  if (name.includes(',')) fail('an option name without commas');
  return name.slice(0, 100);
}

function describe(value: NeutralValue): string {
  if (value instanceof Date) return 'a date';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}
