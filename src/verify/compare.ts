import { canonicalJson, type SyncRecord } from '../model/index.js';
import type { ListedObject } from '../sync/index.js';

/**
 * True when the object holds what keepsync would write for the record: every field the
 * record carries (minus the unhashed ones: create-only fields and the sync stamp) has the
 * same canonical value, so Dates and their ISO strings, or key order, make no difference.
 * Fields the object has beyond the record's belong to the destination's people.
 */
export function holdsRecord(
  object: ListedObject,
  record: SyncRecord,
  unhashed: ReadonlySet<string>,
): boolean {
  for (const [name, value] of Object.entries(record.fields)) {
    if (unhashed.has(name)) continue;
    if (canonicalJson(value ?? null) !== canonicalJson(object.fields[name] ?? null)) return false;
  }
  // A destination that does not store bodies reads none back.
  if (record.body !== undefined && object.body !== undefined && record.body !== object.body) {
    return false;
  }
  return true;
}
