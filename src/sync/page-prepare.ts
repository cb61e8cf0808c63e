import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
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
  return prepareSlice(records, 0, records.length, pipeline, { valid: [], invalid: [] });
}

/** Records hashed between two turns of the event loop by `preparePageYielding`. */
const PREPARE_SLICE = 100;

/**
 * preparePage for a page read ahead: it hashes in slices and lets the event loop run between
 * them, so the write in flight is not held up by the next page's hashing (a COPY's rows go out
 * only once the server's go-ahead is handled, and its result is taken as soon as it comes).
 */
export async function preparePageYielding(
  records: readonly SyncRecord[],
  pipeline: Pipeline,
): Promise<PreparedPage> {
  const page: MutablePage = { valid: [], invalid: [] };
  for (let start = 0; start < records.length; start += PREPARE_SLICE) {
    if (start > 0) await yieldToEventLoop();
    prepareSlice(records, start, Math.min(start + PREPARE_SLICE, records.length), pipeline, page);
  }
  return page;
}

interface MutablePage {
  valid: Array<{ record: SyncRecord; hash: string | null }>;
  invalid: Array<{ record: SyncRecord; error: unknown }>;
}

function prepareSlice(
  records: readonly SyncRecord[],
  start: number,
  end: number,
  pipeline: Pipeline,
  page: MutablePage,
): PreparedPage {
  const { valid, invalid } = page;
  const createOnly = pipeline.route.createOnly ?? [];
  const stampField = pipeline.route.syncedAtField;
  const unhashed = stampField ? [...createOnly, stampField] : createOnly;
  for (let index = start; index < end; index++) {
    const record = records[index]!;
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
  return page;
}
