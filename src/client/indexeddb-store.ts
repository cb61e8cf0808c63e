/// <reference lib="dom" />
import { type DBSchema, type IDBPDatabase, openDB, unwrap } from 'idb';
import {
  isNewer,
  isReparented,
  type LocalApply,
  type LocalMeta,
  type LocalStore,
} from './local-store.js';
import type { PushBatch } from './outbox-batch.js';
import type { BaseDocument, OutboxEntry, RejectedEdit } from './types.js';

interface StoredEntry extends Omit<OutboxEntry, 'order'> {
  order?: number;
}

interface KeepsyncDb extends DBSchema {
  documents: { key: [string, string]; value: BaseDocument };
  outbox: { key: number; value: StoredEntry; indexes: { id: string } };
  meta: { key: string; value: unknown };
  rejected: { key: number; value: RejectedEdit & { order?: number }; indexes: { editId: string } };
  /** The keys of documents stored before the running full resync that it has not sent again. */
  stale: { key: [string, string]; value: true };
}

type DocumentKey = [string, string];

export interface IndexedDbStoreOptions {
  /**
   * The database name; tabs of one app that use the same name share it.
   * @default 'keepsync'
   */
  name?: string;
}

const VERSION = 3;

/**
 * A local store in IndexedDB (through `idb`): documents keyed by [collection, doc id], the
 * outbox in edit order, and the cursor, each change one transaction. Safe to share between tabs.
 */
export async function openIndexedDbStore(options: IndexedDbStoreOptions = {}): Promise<LocalStore> {
  const name = options.name ?? 'keepsync';
  const db: IDBPDatabase<KeepsyncDb> = await openDB<KeepsyncDb>(name, VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore('documents', { keyPath: ['collection', 'docId'] });
        const outbox = database.createObjectStore('outbox', {
          keyPath: 'order',
          autoIncrement: true,
        });
        outbox.createIndex('id', 'id', { unique: true });
        database.createObjectStore('meta');
      }
      if (oldVersion < 2) {
        const rejected = database.createObjectStore('rejected', {
          keyPath: 'order',
          autoIncrement: true,
        });
        rejected.createIndex('editId', 'editId', { unique: true });
      }
      if (oldVersion < 3) database.createObjectStore('stale');
    },
    blocking() {
      // A newer version of the app wants to upgrade the schema: let it.
      db.close();
    },
  });

  /** Whether the running full resync began over stored documents (then it must mark them seen). */
  let sweeps: boolean | null = null;
  async function putResyncDocuments(page: readonly BaseDocument[], cursor?: string): Promise<void> {
    sweeps ??= (await db.get('meta', 'resyncSweeps')) === true;
    // Relaxed: a page lost to a power cut is fetched again, since its cursor goes with it.
    const tx = db.transaction(['documents', 'stale', 'meta'], 'readwrite', {
      durability: 'relaxed',
    });
    // The bare stores: one request per document and no promise each; a failed request aborts
    // the transaction, and `tx.done` rejects with it.
    const documents = unwrap(tx.objectStore('documents'));
    for (const doc of page) documents.put(doc);
    if (sweeps) {
      const stale = unwrap(tx.objectStore('stale'));
      for (const doc of page) stale.delete([doc.collection, doc.docId]);
    }
    if (cursor !== undefined) unwrap(tx.objectStore('meta')).put(cursor, 'resyncCursor');
    await tx.done;
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
    async documents() {
      return db.getAll('documents');
    },
    async documentsOf(keys) {
      const tx = db.transaction('documents');
      const found = await Promise.all(keys.map((key) => tx.store.get([key.collection, key.docId])));
      await tx.done;
      return found.filter((doc): doc is BaseDocument => doc !== undefined);
    },
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
      const tx = db.transaction(['documents', 'stale', 'meta'], 'readwrite');
      const stale = tx.objectStore('stale');
      const meta = tx.objectStore('meta');
      const keys = await tx.objectStore('documents').getAllKeys();
      await Promise.all([
        stale.clear(),
        ...keys.map((key) => stale.put(true, key)),
        meta.put('0', 'lastSeq'),
        meta.put(true, 'resyncing'),
        meta.delete('resyncCursor'),
        meta.put(keys.length > 0, 'resyncSweeps'),
        tx.done,
      ]);
      sweeps = keys.length > 0;
    },
    async putResyncPage(page, cursor) {
      await putResyncDocuments(page, cursor);
    },
    async endResync(lastSeq, page = []) {
      await putResyncDocuments(page);
      const tx = db.transaction(['documents', 'stale', 'meta'], 'readwrite');
      const stale = tx.objectStore('stale');
      const meta = tx.objectStore('meta');
      const keys = (await stale.getAllKeys()) as DocumentKey[];
      const documents = tx.objectStore('documents');
      await Promise.all([
        ...keys.map((key) => documents.delete(key)),
        stale.clear(),
        meta.put(lastSeq, 'lastSeq'),
        meta.put(false, 'resyncing'),
        meta.delete('resyncCursor'),
        meta.delete('resyncSweeps'),
        tx.done,
      ]);
      sweeps = null;
      return keys.map(([collection, docId]) => ({ collection, docId }));
    },
    async close() {
      db.close();
    },
  };
}
