import { createHash } from 'node:crypto';
import { type NeutralValue, RecordError, type SyncRecord } from '../../model/index.js';

/** Where a record field is written: a field id (in the destination's locale), or a field in a given locale. */
export type ContentfulTarget = string | { readonly field: string; readonly locale: string };

/** An entry's fields as the CMA holds them: field id -> locale -> value. */
export type LocalizedFields = Record<string, Record<string, unknown>>;

/**
 * The entry id of a record: SHA-256 of the content type and the key, in hex (64 characters,
 * inside Contentful's `[a-zA-Z0-9-_.]{1,64}`). The same record always lands on the same entry,
 * so a create retried after a lost answer, or after the store was lost, updates it.
 */
export function entryIdFor(contentType: string, key: string): string {
  return createHash('sha256').update(`${contentType}\u0000${key}`, 'utf8').digest('hex');
}

/**
 * The changed fields of a record, per field id and locale. `null` means "clear this locale's
 * value" (Contentful drops a field whose locales are all gone).
 */
export function encodeFields(
  record: SyncRecord,
  targets: Readonly<Record<string, ContentfulTarget>>,
  locale: string,
  bodyField: string | undefined,
): LocalizedFields {
  const out: LocalizedFields = {};
  const put = (field: string, fieldLocale: string, value: unknown) => {
    out[field] ??= {};
    out[field][fieldLocale] = value;
  };
  for (const [name, target] of Object.entries(targets)) {
    const value = record.fields[name];
    if (value === undefined) continue;
    const field = typeof target === 'string' ? target : target.field;
    const fieldLocale = typeof target === 'string' ? locale : target.locale;
    put(field, fieldLocale, toContentful(value, record.key, name));
  }
  if (bodyField && record.body !== undefined) put(bodyField, locale, record.body);
  return out;
}

/**
 * Applies changes to the entry's current fields: each written locale replaced, every other
 * locale (a translator's work) and every field not written kept, since a PUT replaces the
 * whole entry.
 */
export function mergeFields(current: LocalizedFields, changes: LocalizedFields): LocalizedFields {
  const merged: LocalizedFields = { ...current };
  for (const [field, perLocale] of Object.entries(changes)) {
    const next: Record<string, unknown> = { ...(merged[field] ?? {}) };
    for (const [locale, value] of Object.entries(perLocale)) {
      if (value === null) delete next[locale];
      else next[locale] = value;
    }
    if (Object.keys(next).length === 0) delete merged[field];
    else merged[field] = next;
  }
  return merged;
}

/** A create carries no nulls: an absent locale is already empty. */
export function withoutNulls(fields: LocalizedFields): LocalizedFields {
  return mergeFields({}, fields);
}

/**
 * Neutral values to CMA JSON: Dates as ISO strings, `{ linkType, id }` (what the Contentful
 * source emits for a reference) as a Link, everything else as it is.
 */
function toContentful(value: NeutralValue, key: string, field: string): unknown {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new RecordError(`Field \`${field}\` of record ${key} is an invalid date`, {
        key,
        field,
      });
    }
    return value.toISOString();
  }
  if (Array.isArray(value)) return value.map((item) => toContentful(item, key, field));
  if (value && typeof value === 'object') {
    const object = value as Record<string, NeutralValue>;
    const names = Object.keys(object);
    if (
      names.length === 2 &&
      typeof object.linkType === 'string' &&
      typeof object.id === 'string'
    ) {
      return { sys: { type: 'Link', linkType: object.linkType, id: object.id } };
    }
    return Object.fromEntries(names.map((name) => [name, toContentful(object[name]!, key, field)]));
  }
  return value;
}
