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
  /**
   * Resync pages not in `documents` yet, oldest first. A resync into an empty store only
   * appends, so its pages are kept as they came (the caller's arrays: the replica never
   * changes a page it has handed over) and indexed by the first read: a bootstrap then builds
   * one map of its documents (the view's), not two.
   */
  const unindexed: Array<readonly BaseDocument[]> = [];
  const indexed = () => {
    if (unindexed.length > 0) {
      for (const page of unindexed.splice(0)) {
        for (const doc of page) documents.set(docKey(doc.collection, doc.docId), doc);
      }
    }
    return documents;
  };
  const putResyncDocuments = (page: readonly BaseDocument[]) => {
    if (stale.size === 0) {
      if (page.length > 0) unindexed.push(page);
      return;
    }
    const index = indexed();
    for (const doc of page) {
      const key = docKey(doc.collection, doc.docId);
      index.set(key, doc);
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
      return [...indexed().values()];
    },
    async documentsOf(keys) {
      const found: BaseDocument[] = [];
      const index = indexed();
      for (const key of keys) {
        const doc = index.get(docKey(key.collection, key.docId));
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
      if (change.documents?.length) {
        const index = indexed();
        for (const doc of change.documents) {
          const key = docKey(doc.collection, doc.docId);
          if (isNewer(doc, index.get(key))) index.set(key, doc);
        }
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
      for (const key of indexed().keys()) stale.add(key);
      meta = { ...meta, lastSeq: '0', resyncing: true, resyncCursor: null };
    },
    async putResyncPage(page, cursor) {
      putResyncDocuments(page);
      if (cursor !== undefined) meta = { ...meta, resyncCursor: cursor };
    },
    async endResync(lastSeq, page = []) {
      putResyncDocuments(page);
      const removed: Array<{ collection: string; docId: string }> = [];
      if (stale.size > 0) {
        const index = indexed();
        for (const key of stale) {
          const doc = index.get(key);
          if (doc) removed.push({ collection: doc.collection, docId: doc.docId });
          index.delete(key);
        }
        stale.clear();
      }
      meta = { ...meta, lastSeq, resyncing: false, resyncCursor: null };
      return removed;
    },
    async close() {},
  };
}
