import { assertValidRecord, type SyncRecord } from '../model/index.js';
import { contentHash } from './hash.js';
import type { Pipeline } from './pipeline.js';
import { omit } from './route.js';

/** A page's records checked and hashed: what can be planned without the store. */
export interface PreparedPage {
  readonly valid: ReadonlyArray<{ readonly record: SyncRecord; readonly hash: string | null }>;
  readonly invalid: ReadonlyArray<{ readonly record: SyncRecord; readonly error: unknown }>;
}

/**
 * Checks each record and hashes what an update would write. Pure CPU, so the run does it for
 * the next page while the destination writes this one.
 */
export function preparePage(records: readonly SyncRecord[], pipeline: Pipeline): PreparedPage {
  const valid: Array<{ record: SyncRecord; hash: string | null }> = [];
  const invalid: Array<{ record: SyncRecord; error: unknown }> = [];
  const createOnly = pipeline.route.createOnly ?? [];
  const stampField = pipeline.route.syncedAtField;
  const unhashed = stampField ? [...createOnly, stampField] : createOnly;
  for (const [index, record] of records.entries()) {
    try {
      assertValidRecord(record, `record #${index + 1} of this page`);
      const hash = record.deleted
        ? null
        : contentHash(record.key, omit(record.fields, unhashed), record.body);
      valid.push({ record, hash });
    } catch (error) {
      invalid.push({ record, error });
    }
  }
  return { valid, invalid };
}
