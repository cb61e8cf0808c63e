import { isNewer } from './local-store.js';
import { type BaseDocument, docKey } from './types.js';

/**
 * Documents of one collection that a full resync sent, stored as one IndexedDB record: one
 * record per document costs IndexedDB a request, a key and a structured clone each, which made
 * loading 100,000 documents take seconds; one record per page takes milliseconds.
 */
export interface StoredChunk {
  readonly collection: string;
  /** The smallest and the largest doc id in it: which chunks may hold a document. */
  readonly first: string;
  readonly last: string;
  /** The documents as JSON text (they arrived as JSON); a later copy of a key wins. */
  readonly documents: string;
}

/** The chunks of a resync page, one per collection in it. */
export function toChunks(page: readonly BaseDocument[]): StoredChunk[] {
  const byCollection = new Map<string, BaseDocument[]>();
  for (const doc of page) {
    const list = byCollection.get(doc.collection);
    if (list) list.push(doc);
    else byCollection.set(doc.collection, [doc]);
  }
  return [...byCollection].map(([collection, docs]) => {
    let first = docs[0]!.docId;
    let last = first;
    for (const { docId } of docs) {
      if (docId < first) first = docId;
      else if (docId > last) last = docId;
    }
    return { collection, first, last, documents: JSON.stringify(docs) };
  });
}

export function chunkDocuments(chunk: StoredChunk): BaseDocument[] {
  return JSON.parse(chunk.documents) as BaseDocument[];
}

/**
 * What the store holds, layer by layer. Outside a full resync every chunk is `older` and no
 * record is stale. During one, `older` chunks are the documents before it, `resent` ones the
 * pages it stored so far, and `stale` the keys of records written before it began.
 */
export interface StoredLayers {
  readonly older: readonly StoredChunk[];
  readonly resent: readonly StoredChunk[];
  /** Per-document records: pulls, the stream and push answers after the chunks were written. */
  readonly records: readonly BaseDocument[];
  readonly stale: ReadonlySet<string>;
}

/**
 * Every document, each the one a reader must see: a resync page wins over anything stored
 * before the resync (the server's state is what counts), and a record written since wins
 * when it is not older, as `apply` keeps only later versions.
 */
export function mergeLayers(layers: StoredLayers): BaseDocument[] {
  const { older, resent, records, stale } = layers;
  if (older.length === 0 && resent.length === 0) return [...records];
  const merged = new Map<string, BaseDocument>();
  const keep = (doc: BaseDocument, key = docKey(doc.collection, doc.docId)) => {
    if (isNewer(doc, merged.get(key))) merged.set(key, doc);
  };
  for (const chunk of older) {
    for (const doc of chunkDocuments(chunk)) merged.set(docKey(doc.collection, doc.docId), doc);
  }
  if (stale.size > 0) {
    for (const doc of records) {
      const key = docKey(doc.collection, doc.docId);
      if (stale.has(key)) keep(doc, key);
    }
  }
  for (const chunk of resent) {
    for (const doc of chunkDocuments(chunk)) merged.set(docKey(doc.collection, doc.docId), doc);
  }
  for (const doc of records) {
    const key = docKey(doc.collection, doc.docId);
    if (!stale.has(key)) keep(doc, key);
  }
  return [...merged.values()];
}
