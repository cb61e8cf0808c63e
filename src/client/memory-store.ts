import {
  isNewer,
  isReparented,
  type LocalApply,
  type LocalMeta,
  type LocalStore,
} from './local-store.js';
import { type BaseDocument, docKey, type OutboxEntry, type RejectedEdit } from './types.js';

export interface MemoryStoreOptions {
  /** @default 'keepsync-memory' */
  name?: string;
}

/** A local store that lives as long as the page or process: tests, benches, throwaway clients. */
export function createMemoryStore(options: MemoryStoreOptions = {}): LocalStore {
  const documents = new Map<string, BaseDocument>();
  const outbox = new Map<string, OutboxEntry>();
  const rejected = new Map<string, RejectedEdit>();
  let meta: LocalMeta = {
    lastSeq: '0',
    clientId: null,
    resyncing: false,
    resyncCursor: null,
    clockOffsetMs: 0,
    pushInFlight: null,
  };
  /** The documents stored before the running full resync that it has not sent again. */
  const stale = new Set<string>();
  const putResyncDocuments = (page: readonly BaseDocument[]) => {
    for (const doc of page) {
      const key = docKey(doc.collection, doc.docId);
      documents.set(key, doc);
      stale.delete(key);
    }
  };
  let order = 0;
  return {
    kind: 'memory',
    shared: false,
    name: options.name ?? 'keepsync-memory',
    async meta() {
      return meta;
    },
    async setClientId(clientId) {
      meta = { ...meta, clientId };
    },
    async setPushInFlight(batch) {
      meta = { ...meta, pushInFlight: batch };
    },
    async documents() {
      return [...documents.values()];
    },
    async documentsOf(keys) {
      const found: BaseDocument[] = [];
      for (const key of keys) {
        const doc = documents.get(docKey(key.collection, key.docId));
        if (doc) found.push(doc);
      }
      return found;
    },
    async outbox() {
      return [...outbox.values()];
    },
    async rejected() {
      return [...rejected.values()];
    },
    async enqueue(entry) {
      order += 1;
      const stored: OutboxEntry = { ...entry, order };
      outbox.set(entry.id, stored);
      return stored;
    },
    async apply(change: LocalApply) {
      for (const doc of change.documents ?? []) {
        const key = docKey(doc.collection, doc.docId);
        if (isNewer(doc, documents.get(key))) documents.set(key, doc);
      }
      for (const id of change.removeOutbox ?? []) outbox.delete(id);
      for (const move of change.reparent ?? []) {
        for (const entry of outbox.values()) {
          if (isReparented(entry, move)) {
            outbox.set(entry.id, { ...entry, parentVersion: move.to });
          }
        }
      }
      for (const edit of change.reject ?? []) rejected.set(edit.editId, edit);
      for (const id of change.forgetRejected ?? []) rejected.delete(id);
      if (change.lastSeq !== undefined) meta = { ...meta, lastSeq: change.lastSeq };
      if (change.pushInFlight === null) meta = { ...meta, pushInFlight: null };
      if (change.clockOffsetMs !== undefined) {
        meta = { ...meta, clockOffsetMs: change.clockOffsetMs };
      }
    },
    async beginResync() {
      stale.clear();
      for (const key of documents.keys()) stale.add(key);
      meta = { ...meta, lastSeq: '0', resyncing: true, resyncCursor: null };
    },
    async putResyncPage(page, cursor) {
      putResyncDocuments(page);
      if (cursor !== undefined) meta = { ...meta, resyncCursor: cursor };
    },
    async endResync(lastSeq, page = []) {
      putResyncDocuments(page);
      const removed: Array<{ collection: string; docId: string }> = [];
      for (const key of stale) {
        const doc = documents.get(key);
        if (doc) removed.push({ collection: doc.collection, docId: doc.docId });
        documents.delete(key);
      }
      stale.clear();
      meta = { ...meta, lastSeq, resyncing: false, resyncCursor: null };
      return removed;
    },
    async close() {},
  };
}
