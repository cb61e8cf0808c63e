/// <reference lib="dom" />
import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { chunkDocuments, mergeLayers, type StoredChunk, toChunks } from './indexeddb-chunks.js';
import { type KeepsyncDb, openKeepsyncDb } from './indexeddb-schema.js';
import {
  isNewer,
  isReparented,
  type LocalApply,
  type LocalMeta,
  type LocalStore,
} from './local-store.js';
import type { PushBatch } from './outbox-batch.js';
import { type BaseDocument, docKey, type OutboxEntry } from './types.js';

type DocumentKey = [string, string];

export interface IndexedDbStoreOptions {
  /**
   * The database name; tabs of one app that use the same name share it.
   * @default 'keepsync'
   */
  name?: string;
}

/** Chunks up to this key were stored before the running full resync (meta key). */
const RESYNC_AFTER_CHUNK = 'resyncAfterChunk';

/**
 * A local store in IndexedDB (through `idb`): full resync pages as chunk records, later server
 * states one record per document (keyed by [collection, doc id]), the outbox in edit order,
 * and the cursor, each change one transaction. Safe to share between tabs.
 */
export async function openIndexedDbStore(options: IndexedDbStoreOptions = {}): Promise<LocalStore> {
  const name = options.name ?? 'keepsync';
  const db: IDBPDatabase<KeepsyncDb> = await openKeepsyncDb(name);

  /**
   * The documents of the page being read, stored with its cursor: a page is one transaction,
   * and what a restart loses of it is fetched again from the cursor before it anyway.
   */
  let held: BaseDocument[][] = [];
  const takeHeld = (page: readonly BaseDocument[]): readonly BaseDocument[] => {
    const docs = held.length === 0 ? page : [...held.flat(), ...page];
    held = [];
    return docs;
  };

  /** Where the chunks stored before the running resync end (none: every chunk). */
  async function resyncBoundary(
    tx: IDBPTransaction<KeepsyncDb, StoreNames<KeepsyncDb>[], IDBTransactionMode>,
  ): Promise<number | null> {
    const meta = tx.objectStore('meta');
    if ((await meta.get('resyncing')) !== true) return null;
    const after = await meta.get(RESYNC_AFTER_CHUNK);
    // A resync begun by a store of v3 had no chunks before it.
    return typeof after === 'number' ? after : 0;
  }

  /** Everything a reader must merge, read in one transaction. */
  async function readLayers(): Promise<BaseDocument[]> {
    const tx = db.transaction(['chunks', 'documents', 'stale', 'meta']);
    const chunks = tx.objectStore('chunks');
    const after = await resyncBoundary(tx);
    const [older, resent, records, staleKeys] = await Promise.all([
      after === null ? chunks.getAll() : chunks.getAll(IDBKeyRange.upperBound(after)),
      after === null ? [] : chunks.getAll(IDBKeyRange.lowerBound(after, true)),
      tx.objectStore('documents').getAll(),
      after === null ? [] : tx.objectStore('stale').getAllKeys(),
    ]);
    await tx.done;
    const stale = new Set(staleKeys.map(([collection, docId]) => docKey(collection, docId)));
    return mergeLayers({ older, resent, records, stale });
  }

  /** The stored state of a few documents: the chunks that may hold each, and its record. */
  async function readSome(
    keys: ReadonlyArray<{ collection: string; docId: string }>,
  ): Promise<BaseDocument[]> {
    const tx = db.transaction(['chunks', 'documents', 'stale', 'meta']);
    const after = (await resyncBoundary(tx)) ?? Number.POSITIVE_INFINITY;
    const chunks = tx.objectStore('chunks');
    const span = chunks.index('span');
    const found = await Promise.all(
      keys.map(async ({ collection, docId }) => {
        const holders: number[] = [];
        // [collection, last, first] from this id on: chunks ending at or after it; those that
        // also start at or before it may hold it. Arrays sort after every string.
        let cursor = await span.openKeyCursor(
          IDBKeyRange.bound([collection, docId], [collection, []]),
        );
        while (cursor) {
          if (cursor.key[2] <= docId) holders.push(cursor.primaryKey);
          cursor = await cursor.continue();
        }
        holders.sort((a, b) => a - b);
        const [held, record, stale] = await Promise.all([
          Promise.all(holders.map((key) => chunks.get(key))),
          tx.objectStore('documents').get([collection, docId]),
          tx.objectStore('stale').getKey([collection, docId]),
        ]);
        const older: StoredChunk[] = [];
        const resent: StoredChunk[] = [];
        held.forEach((chunk, at) => {
          if (chunk) (holders[at]! <= after ? older : resent).push(chunk);
        });
        const key = docKey(collection, docId);
        const merged = mergeLayers({
          older,
          resent,
          records: record ? [record] : [],
          stale: new Set(stale === undefined ? [] : [key]),
        });
        return merged.find((doc) => doc.collection === collection && doc.docId === docId);
      }),
    );
    await tx.done;
    return found.filter((doc): doc is BaseDocument => doc !== undefined);
  }

  return {
    kind: 'indexeddb',
    shared: true,
    name,
    async meta(): Promise<LocalMeta> {
      const tx = db.transaction('meta');
      const [lastSeq, clientId, resyncing, resyncCursor, clockOffsetMs, pushInFlight] =
        await Promise.all([
          tx.store.get('lastSeq'),
          tx.store.get('clientId'),
          tx.store.get('resyncing'),
          tx.store.get('resyncCursor'),
          tx.store.get('clockOffsetMs'),
          tx.store.get('pushInFlight'),
        ]);
      return {
        lastSeq: typeof lastSeq === 'string' ? lastSeq : '0',
        clientId: typeof clientId === 'string' ? clientId : null,
        resyncing: resyncing === true,
        resyncCursor: typeof resyncCursor === 'string' ? resyncCursor : null,
        clockOffsetMs: typeof clockOffsetMs === 'number' ? clockOffsetMs : 0,
        pushInFlight: (pushInFlight as PushBatch | undefined) ?? null,
      };
    },
    async setClientId(clientId) {
      const tx = db.transaction('meta', 'readwrite');
      // Two tabs starting together: the first id written wins, so both use the same one.
      if ((await tx.store.get('clientId')) === undefined) await tx.store.put(clientId, 'clientId');
      await tx.done;
    },
    async setPushInFlight(batch) {
      if (batch === null) await db.delete('meta', 'pushInFlight');
      else await db.put('meta', batch, 'pushInFlight');
    },
    documents: readLayers,
    documentsOf: readSome,
    async outbox() {
      return (await db.getAll('outbox')) as OutboxEntry[];
    },
    async rejected() {
      return (await db.getAll('rejected')).map(({ order: _order, ...edit }) => edit);
    },
    async enqueue(entry) {
      const order = await db.add('outbox', { ...entry });
      return { ...entry, order };
    },
    async apply(change: LocalApply) {
      const tx = db.transaction(['documents', 'outbox', 'meta', 'rejected'], 'readwrite');
      const documents = tx.objectStore('documents');
      const outbox = tx.objectStore('outbox');
      const rejected = tx.objectStore('rejected');
      const pending: Promise<unknown>[] = [];
      for (const edit of change.reject ?? []) {
        pending.push(
          rejected
            .index('editId')
            .getKey(edit.editId)
            .then((key) => (key === undefined ? rejected.add({ ...edit }) : undefined)),
        );
      }
      for (const id of change.forgetRejected ?? []) {
        pending.push(
          rejected
            .index('editId')
            .getKey(id)
            .then((key) => (key === undefined ? undefined : rejected.delete(key))),
        );
      }
      // Compared with the document's record only: a chunk's copy that is newer still wins
      // when read (mergeLayers), so the record need not be written over it.
      for (const doc of change.documents ?? []) {
        pending.push(
          documents.get([doc.collection, doc.docId]).then((stored) => {
            if (isNewer(doc, stored)) return documents.put(doc);
            return undefined;
          }),
        );
      }
      for (const id of change.removeOutbox ?? []) {
        pending.push(
          outbox
            .index('id')
            .getKey(id)
            .then((key) => (key === undefined ? undefined : outbox.delete(key))),
        );
      }
      if (change.reparent && change.reparent.length > 0) {
        const moves = change.reparent;
        const removed = new Set(change.removeOutbox ?? []);
        pending.push(
          (async () => {
            let cursor = await outbox.openCursor();
            while (cursor) {
              const entry = cursor.value as OutboxEntry;
              const move = moves.find((candidate) => isReparented(entry, candidate));
              if (move && !removed.has(entry.id))
                await cursor.update({ ...entry, parentVersion: move.to });
              cursor = await cursor.continue();
            }
          })(),
        );
      }
      if (change.lastSeq !== undefined)
        pending.push(tx.objectStore('meta').put(change.lastSeq, 'lastSeq'));
      if (change.clockOffsetMs !== undefined)
        pending.push(tx.objectStore('meta').put(change.clockOffsetMs, 'clockOffsetMs'));
      if (change.pushInFlight === null) pending.push(tx.objectStore('meta').delete('pushInFlight'));
      await Promise.all(pending);
      await tx.done;
    },
    async beginResync() {
      const tx = db.transaction(['documents', 'stale', 'meta', 'chunks'], 'readwrite');
      const stale = tx.objectStore('stale');
      const meta = tx.objectStore('meta');
      const keys = await tx.objectStore('documents').getAllKeys();
      const lastChunk = await tx.objectStore('chunks').openKeyCursor(null, 'prev');
      await Promise.all([
        stale.clear(),
        ...keys.map((key) => stale.put(true, key)),
        meta.put('0', 'lastSeq'),
        meta.put(true, 'resyncing'),
        meta.delete('resyncCursor'),
        meta.put(lastChunk?.key ?? 0, RESYNC_AFTER_CHUNK),
        tx.done,
      ]);
      held = [];
    },
    async putResyncPage(page, cursor) {
      if (cursor === undefined) {
        held.push([...page]);
        return;
      }
      // Relaxed: a page lost to a power cut is fetched again, since its cursor goes with it.
      const tx = db.transaction(['chunks', 'meta'], 'readwrite', { durability: 'relaxed' });
      const chunks = tx.objectStore('chunks');
      await Promise.all([
        ...toChunks(takeHeld(page)).map((chunk) => chunks.add(chunk)),
        tx.objectStore('meta').put(cursor, 'resyncCursor'),
        tx.done,
      ]);
    },
    async endResync(lastSeq, page = []) {
      const last = toChunks(takeHeld(page));
      const tx = db.transaction(['documents', 'stale', 'meta', 'chunks'], 'readwrite');
      const chunks = tx.objectStore('chunks');
      const documents = tx.objectStore('documents');
      const meta = tx.objectStore('meta');
      const after = (await resyncBoundary(tx)) ?? 0;
      const [staleKeys, older] = await Promise.all([
        tx.objectStore('stale').getAllKeys() as Promise<DocumentKey[]>,
        after > 0 ? chunks.getAll(IDBKeyRange.upperBound(after)) : [],
      ]);
      // What was stored before the resync and it did not send again goes; the records of
      // what it sent again are superseded by its pages.
      const gone = new Map<string, DocumentKey>();
      if (staleKeys.length > 0 || older.length > 0) {
        const sent = new Set<string>();
        for (const chunk of [
          ...(await chunks.getAll(IDBKeyRange.lowerBound(after, true))),
          ...last,
        ])
          for (const doc of chunkDocuments(chunk)) sent.add(docKey(doc.collection, doc.docId));
        for (const chunk of older) {
          for (const doc of chunkDocuments(chunk)) {
            const key = docKey(doc.collection, doc.docId);
            if (!sent.has(key)) gone.set(key, [doc.collection, doc.docId]);
          }
        }
        for (const [collection, docId] of staleKeys) {
          const key = docKey(collection, docId);
          if (!sent.has(key)) gone.set(key, [collection, docId]);
        }
      }
      await Promise.all([
        ...last.map((chunk) => chunks.add(chunk)),
        ...staleKeys.map((key) => documents.delete(key)),
        ...[...gone.values()].map((key) => documents.delete(key)),
        after > 0 ? chunks.delete(IDBKeyRange.upperBound(after)) : undefined,
        tx.objectStore('stale').clear(),
        meta.put(lastSeq, 'lastSeq'),
        meta.put(false, 'resyncing'),
        meta.delete('resyncCursor'),
        meta.delete(RESYNC_AFTER_CHUNK),
        // Written by stores of v3 during a resync.
        meta.delete('resyncSweeps'),
        tx.done,
      ]);
      return [...gone.values()].map(([collection, docId]) => ({ collection, docId }));
    },
    async close() {
      db.close();
    },
  };
}
