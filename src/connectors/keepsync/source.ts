import { type Cursor, KeepsyncError, type SyncRecord } from '../../model/index.js';
import { checkOptions, type ReadOptions, type Source, type SourcePage } from '../../sync/index.js';
import {
  type Connection,
  checkCollection,
  connect,
  type KeepsyncConnectionOptions,
} from './connection.js';
import { sourceSchema } from './options-schema.js';
import { documentRecord, entryRecord } from './records.js';

export interface KeepsyncSourceOptions extends KeepsyncConnectionOptions {
  /** The one collection to read (one unit). */
  collection?: string | undefined;
  /**
   * Collections to read, one unit each.
   * @default `[collection]`, or else every collection of the scope that holds documents
   */
  collections?: readonly string[] | undefined;
  /** Documents or oplog entries per page. @default 500 */
  pageSize?: number | undefined;
}

/**
 * Where a read stands: the oplog seq everything up to which has been read, or, in the middle
 * of a full read, the last document read and the seq the full read catches up from.
 */
type KeepsyncCursor = number | { readonly after: string; readonly seq: number };

/**
 * Reads the offline server's collections, one unit per collection. Incremental: the cursor
 * is the last oplog seq read, and a read returns the documents changed since (deletes as
 * `deleted` tombstones). With no cursor, or one older than the oplog's retention horizon, it
 * lists every document (keyset paginated, tombstones included) and then follows the oplog
 * from the seq the listing was taken at. Records are keyed on doc_id; fields are the
 * document's data; `updatedAt` is the wall time of the document's HLC version.
 */
export function source(options: KeepsyncSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'keepsync.source');
  const connection = connect(options);
  const pageSize = options.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`pageSize\` to be a whole number from 1 to 1000, got ${pageSize}`,
    );
  }
  const given =
    options.collections?.map((name) => checkCollection(name, 'collections')) ??
    (options.collection === undefined ? null : [checkCollection(options.collection)]);
  return {
    name: connection.name,
    mode: 'incremental',
    async units() {
      const names = given ?? (await connection.store.listCollections(connection.scope));
      return names.map((id) => ({ id }));
    },
    read: (unit, readOptions) =>
      readCollection(connection, checkCollection(unit, 'unit'), pageSize, readOptions),
    async confirmMissing(unit, keys) {
      const found = (await readKeys(connection, checkCollection(unit, 'unit'), keys)).filter(
        (record) => !record.deleted,
      );
      const present = new Set(found.map((record) => record.key));
      return { gone: keys.filter((key) => !present.has(key)), found };
    },
  };
}

function parseCursor(cursor: Cursor, collection: string): KeepsyncCursor | null {
  if (cursor === null) return null;
  if (Number.isSafeInteger(cursor) && (cursor as number) >= 0) return cursor as number;
  if (typeof cursor === 'object' && !Array.isArray(cursor)) {
    const { after, seq } = cursor as Record<string, unknown>;
    if (typeof after === 'string' && Number.isSafeInteger(seq)) {
      return { after, seq: seq as number };
    }
  }
  throw new KeepsyncError(
    'CURSOR_INVALID',
    `Collection ${collection}: expected the cursor to be an oplog seq or {after, seq}, got ${JSON.stringify(cursor)}; reset the unit to read it in full`,
  );
}

async function* readCollection(
  connection: Connection,
  collection: string,
  pageSize: number,
  { cursor, keys, signal }: ReadOptions,
): AsyncGenerator<SourcePage> {
  if (keys) {
    yield { records: await readKeys(connection, collection, keys), cursor };
    return;
  }
  let position = parseCursor(cursor, collection);
  if (typeof position === 'number') {
    const { prunedThroughSeq } = await connection.store.retention(connection.scope);
    // Entries after the cursor were pruned: only a full listing still sees every change.
    if (position < prunedThroughSeq) position = null;
  }
  let seq: number;
  if (typeof position === 'number') {
    seq = position;
  } else {
    seq = yield* readAll(connection, collection, pageSize, position, signal);
  }
  yield* readOplog(connection, collection, pageSize, seq, signal);
}

async function readKeys(
  connection: Connection,
  collection: string,
  keys: readonly string[],
): Promise<SyncRecord[]> {
  const records: SyncRecord[] = [];
  for (const key of new Set(keys)) {
    const doc = await connection.store.getDocument(connection.scope, collection, key);
    if (doc) records.push(documentRecord(doc));
  }
  return records;
}

/** Lists every document from one snapshot; returns the seq the snapshot was taken at. */
async function* readAll(
  connection: Connection,
  collection: string,
  pageSize: number,
  resume: { readonly after: string; readonly seq: number } | null,
  signal: AbortSignal | undefined,
): AsyncGenerator<SourcePage, number> {
  const snapshot = await connection.store.openSnapshot({
    scope: connection.scope,
    collections: [collection],
    after: resume ? { collection, docId: resume.after } : null,
    limit: null,
    pageSize,
  });
  // A resumed listing keeps its first seq: the oplog from there covers what changed since.
  const seq = resume ? Math.min(resume.seq, snapshot.lastSeq) : snapshot.lastSeq;
  try {
    for await (const docs of snapshot.pages()) {
      signal?.throwIfAborted();
      const last = docs[docs.length - 1]!;
      yield { records: docs.map(documentRecord), cursor: { after: last.docId, seq } };
    }
  } finally {
    await snapshot.close();
  }
  return seq;
}

/** Follows the oplog after `seq`; the last page's cursor is the last seq read. */
async function* readOplog(
  connection: Connection,
  collection: string,
  pageSize: number,
  seq: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<SourcePage> {
  let after = seq;
  let yielded = false;
  while (true) {
    signal?.throwIfAborted();
    const page = await connection.store.pull({
      scope: connection.scope,
      afterSeq: after,
      collections: [collection],
      limit: pageSize,
    });
    // One record per document per page: its latest change wins.
    const latest = new Map<string, SyncRecord>();
    for (const entry of page.entries) {
      latest.delete(entry.docId);
      latest.set(entry.docId, entryRecord(entry));
    }
    // A page with no change of this collection still moves the cursor past other entries.
    if (latest.size > 0 || page.lastSeq > after || !yielded) {
      yield { records: [...latest.values()], cursor: page.lastSeq };
      yielded = true;
    }
    after = page.lastSeq;
    if (!page.hasMore) return;
  }
}
