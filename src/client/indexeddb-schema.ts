/// <reference lib="dom" />
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { StoredChunk } from './indexeddb-chunks.js';
import type { BaseDocument, OutboxEntry, RejectedEdit } from './types.js';

export interface StoredEntry extends Omit<OutboxEntry, 'order'> {
  order?: number;
}

export interface KeepsyncDb extends DBSchema {
  /** One record per document: written by pulls, the stream and push answers (and before v4, by full resyncs). */
  documents: { key: [string, string]; value: BaseDocument };
  /** Full resync pages, in the order written; `span` finds the chunks that may hold a key. */
  chunks: { key: number; value: StoredChunk; indexes: { span: [string, string, string] } };
  outbox: { key: number; value: StoredEntry; indexes: { id: string } };
  meta: { key: string; value: unknown };
  rejected: { key: number; value: RejectedEdit & { order?: number }; indexes: { editId: string } };
  /** The keys of records stored before the running full resync. */
  stale: { key: [string, string]; value: true };
}

/** v4: full resync pages stored as chunks; databases of v1-v3 open with their records as they are. */
const VERSION = 4;

export function openKeepsyncDb(name: string): Promise<IDBPDatabase<KeepsyncDb>> {
  let opened: IDBPDatabase<KeepsyncDb> | undefined;
  const database = openDB<KeepsyncDb>(name, VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('documents', { keyPath: ['collection', 'docId'] });
        const outbox = db.createObjectStore('outbox', { keyPath: 'order', autoIncrement: true });
        outbox.createIndex('id', 'id', { unique: true });
        db.createObjectStore('meta');
      }
      if (oldVersion < 2) {
        const rejected = db.createObjectStore('rejected', {
          keyPath: 'order',
          autoIncrement: true,
        });
        rejected.createIndex('editId', 'editId', { unique: true });
      }
      if (oldVersion < 3) db.createObjectStore('stale');
      if (oldVersion < 4) {
        const chunks = db.createObjectStore('chunks', { autoIncrement: true });
        chunks.createIndex('span', ['collection', 'last', 'first']);
      }
    },
    blocking() {
      // A newer version of the app wants to upgrade the schema: let it.
      opened?.close();
    },
  });
  return database.then((db) => {
    opened = db;
    return db;
  });
}
