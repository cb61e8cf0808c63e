import { type Fields, parseHlc, type SyncRecord } from '../../model/index.js';
import type { OplogEntry, StoredDocument } from '../../server/index.js';

/** The HLC's wall time: when the server (or the client's clock) made the change. */
function updatedAt(version: string): Date {
  return new Date(parseHlc(version).wallMs);
}

function record(docId: string, data: string | null, version: string, deleted: boolean) {
  if (deleted || data === null) {
    return { key: docId, fields: {}, deleted: true, updatedAt: updatedAt(version) };
  }
  // Document data is JSON, and every JSON value is a neutral value.
  return { key: docId, fields: JSON.parse(data) as Fields, updatedAt: updatedAt(version) };
}

export function documentRecord(doc: StoredDocument): SyncRecord {
  return record(doc.docId, doc.data, doc.version, doc.deleted);
}

export function entryRecord(entry: OplogEntry): SyncRecord {
  return record(entry.docId, entry.data, entry.version, entry.operation === 'delete');
}

/**
 * A record as document data: its fields (Dates as ISO strings, as JSON carries them), and its
 * body, when it has one, as the `body` member.
 */
export function documentData(record: SyncRecord): Record<string, unknown> {
  const data: Record<string, unknown> = JSON.parse(JSON.stringify(record.fields));
  if (record.body !== undefined) data.body = record.body;
  return data;
}
