import type { BaseDocument, ClientDocument, OutboxEntry } from './types.js';
import { byId, type Row, Shelf } from './view-shelf.js';

/** Which documents a subscription wants. */
export type DocumentFilter = (document: ClientDocument) => boolean;

/** What a subscription callback gets. */
export interface SubscriptionContext {
  readonly collection: string;
  /** The visible documents of the collection that pass the filter, in id order. */
  readonly documents: readonly ClientDocument[];
}

interface Subscription {
  readonly collection: string;
  readonly filter: DocumentFilter | undefined;
  readonly callback: (context: SubscriptionContext) => void;
}

/**
 * The documents as this tab sees them, in memory: the server's state per document with the
 * pending outbox edits on top. Queries read it; subscriptions hear about each collection that
 * changed, once per tick.
 */
export class DocumentView {
  readonly #shelves = new Map<string, Shelf>();
  /** Pending outbox entries by collection, then document id, oldest first. */
  #pending = new Map<string, Map<string, OutboxEntry[]>>();
  readonly #subscriptions = new Set<Subscription>();
  readonly #dirty = new Set<string>();
  #flushing = false;
  readonly #onSubscriberError: (error: unknown) => void;

  constructor(onSubscriberError: (error: unknown) => void) {
    this.#onSubscriberError = onSubscriberError;
  }

  /** The stored server state of one document (tombstones included). */
  base(collection: string, docId: string): BaseDocument | undefined {
    return this.#shelves.get(collection)?.get(docId)?.base;
  }

  setBase(documents: readonly BaseDocument[]): void {
    let shelf: Shelf | undefined;
    let collection: string | undefined;
    for (const doc of documents) {
      if (shelf === undefined || doc.collection !== collection) {
        collection = doc.collection;
        shelf = this.#shelf(collection);
        this.#touch(collection);
      }
      shelf.put(doc);
    }
  }

  #shelf(collection: string): Shelf {
    let shelf = this.#shelves.get(collection);
    if (!shelf) {
      shelf = new Shelf();
      this.#shelves.set(collection, shelf);
    }
    return shelf;
  }

  /** Forgets the stored server state of these documents. */
  removeBase(keys: ReadonlyArray<{ collection: string; docId: string }>): void {
    for (const key of keys) {
      if (this.#shelves.get(key.collection)?.delete(key.docId)) this.#touch(key.collection);
    }
  }

  clearBase(): void {
    for (const collection of this.#shelves.keys()) this.#touch(collection);
    this.#shelves.clear();
  }

  setOutbox(entries: readonly OutboxEntry[]): void {
    const next = new Map<string, Map<string, OutboxEntry[]>>();
    for (const entry of [...entries].sort((a, b) => a.order - b.order)) {
      const docs = pendingOf(next, entry.collection);
      const list = docs.get(entry.docId);
      if (list) list.push(entry);
      else docs.set(entry.docId, [entry]);
    }
    for (const [collection, docs] of next) {
      const before = this.#pending.get(collection);
      for (const [docId, list] of docs) {
        const old = before?.get(docId);
        if (old?.length !== list.length || old.some((entry, i) => entry.id !== list[i]!.id)) {
          this.#touch(collection);
          break;
        }
      }
    }
    for (const [collection, docs] of this.#pending) {
      const after = next.get(collection);
      for (const docId of docs.keys()) {
        if (!after?.has(docId)) {
          this.#touch(collection);
          break;
        }
      }
    }
    this.#pending = next;
  }

  addPending(entry: OutboxEntry): void {
    const docs = pendingOf(this.#pending, entry.collection);
    const list = docs.get(entry.docId);
    if (list) list.push(entry);
    else docs.set(entry.docId, [entry]);
    this.#touch(entry.collection);
  }

  pendingCount(): number {
    let count = 0;
    for (const docs of this.#pending.values())
      for (const list of docs.values()) count += list.length;
    return count;
  }

  /** The version a new edit of this document is based on. */
  parentVersion(collection: string, docId: string): string | null {
    const pending = this.#pending.get(collection)?.get(docId);
    if (pending) return pending[0]!.parentVersion;
    return this.base(collection, docId)?.version ?? null;
  }

  get(collection: string, docId: string): ClientDocument | undefined {
    const row = this.#shelves.get(collection)?.get(docId);
    return this.#visible(collection, docId, row, this.#pending.get(collection)?.get(docId));
  }

  /** The visible documents of a collection that pass the filter, in id order. */
  list(collection: string, filter?: DocumentFilter): ClientDocument[] {
    const found: ClientDocument[] = [];
    const shelf = this.#shelves.get(collection);
    const pending = this.#pending.get(collection);
    const consider = (docId: string, row: Row | undefined) => {
      const doc = this.#visible(collection, docId, row, pending?.get(docId));
      if (doc && (!filter || filter(doc))) found.push(doc);
    };
    // Documents that exist only as pending edits, merged into the id order.
    const local: string[] = [];
    for (const docId of pending?.keys() ?? []) if (!shelf?.has(docId)) local.push(docId);
    local.sort(byId);
    let next = 0;
    if (shelf) {
      for (const row of shelf.rows()) {
        const { docId } = row.base;
        while (next < local.length && local[next]! < docId) consider(local[next++]!, undefined);
        consider(docId, row);
      }
    }
    while (next < local.length) consider(local[next++]!, undefined);
    return found;
  }

  #visible(
    collection: string,
    docId: string,
    row: Row | undefined,
    pending: readonly OutboxEntry[] | undefined,
  ): ClientDocument | undefined {
    const last = pending?.[pending.length - 1];
    if (!last) {
      if (!row) return undefined;
      if (row.shown === undefined) {
        const { base } = row;
        row.shown =
          base.deleted || base.data === null
            ? null
            : { collection, id: docId, data: base.data, version: base.version, pending: false };
      }
      return row.shown ?? undefined;
    }
    if (last.operation === 'delete' || last.data === null) return undefined;
    return {
      collection,
      id: docId,
      data: last.data,
      version: row?.base.version ?? null,
      pending: true,
    };
  }

  subscribe(
    collection: string,
    filter: DocumentFilter | undefined,
    callback: (context: SubscriptionContext) => void,
  ): () => void {
    const subscription: Subscription = { collection, filter, callback };
    this.#subscriptions.add(subscription);
    this.#deliver(subscription);
    return () => {
      this.#subscriptions.delete(subscription);
    };
  }

  #touch(collection: string): void {
    this.#dirty.add(collection);
    if (this.#flushing || this.#subscriptions.size === 0) return;
    this.#flushing = true;
    queueMicrotask(() => {
      this.#flushing = false;
      const dirty = [...this.#dirty];
      this.#dirty.clear();
      for (const subscription of this.#subscriptions) {
        if (dirty.includes(subscription.collection)) this.#deliver(subscription);
      }
    });
  }

  #deliver(subscription: Subscription): void {
    try {
      subscription.callback({
        collection: subscription.collection,
        documents: this.list(subscription.collection, subscription.filter),
      });
    } catch (error) {
      this.#onSubscriberError(error);
    }
  }
}

function pendingOf(
  pending: Map<string, Map<string, OutboxEntry[]>>,
  collection: string,
): Map<string, OutboxEntry[]> {
  let docs = pending.get(collection);
  if (!docs) {
    docs = new Map();
    pending.set(collection, docs);
  }
  return docs;
}
