import type { OplogEntry, StoredDocument } from './store/types.js';

/**
 * One oplog entry as JSON text, built around the stored data text so documents are never
 * parsed and re-serialised on the way out.
 */
export function encodeChange(entry: OplogEntry, type = false): string {
  return `{${type ? '"type":"change",' : ''}"seq":${entry.seq},"version":${JSON.stringify(entry.version)},"collection":${JSON.stringify(entry.collection)},"doc_id":${JSON.stringify(entry.docId)},"operation":"${entry.operation}","data":${entry.data ?? 'null'},"client_id":${entry.clientId === null ? 'null' : JSON.stringify(entry.clientId)},"actor_id":${entry.actorId === null ? 'null' : JSON.stringify(entry.actorId)}}`;
}

/** One NDJSON line of a full resync (a tombstone when deleted). */
export function encodeDocumentLine(doc: StoredDocument): string {
  return `{"collection":${JSON.stringify(doc.collection)},"doc_id":${JSON.stringify(doc.docId)},"version":${JSON.stringify(doc.version)},"deleted":${doc.deleted},"actor_id":${doc.actorId === null ? 'null' : JSON.stringify(doc.actorId)},"data":${doc.deleted ? 'null' : (doc.data ?? 'null')}}\n`;
}

/**
 * One NDJSON line of a full resync asked for with `format=rows`: `[doc_id, version, deleted,
 * data, actor_id]`, in the collection named by the `{"type":"collection"}` line before it. No
 * key names repeated on every line: about 40% fewer bytes for small documents.
 */
export function encodeDocumentRow(doc: StoredDocument): string {
  return `[${JSON.stringify(doc.docId)},${JSON.stringify(doc.version)},${doc.deleted},${doc.deleted ? 'null' : (doc.data ?? 'null')},${doc.actorId === null ? 'null' : JSON.stringify(doc.actorId)}]\n`;
}

/** The line of a `format=rows` full resync naming the collection of the rows after it. */
export function encodeCollectionLine(collection: string): string {
  return `{"type":"collection","collection":${JSON.stringify(collection)}}\n`;
}
