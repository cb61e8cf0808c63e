import {
  type BaseDocument,
  type ClientDocument,
  type DocumentData,
  docKey,
  type OutboxEntry,
} from './types.js';

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
  readonly #base = new Map<string, Map<string, BaseDocument>>();
  #pending = new Map<string, OutboxEntry[]>();
  readonly #subscriptions = new Set<Subscription>();
  readonly #dirty = new Set<string>();
  #flushing = false;
  readonly #onSubscriberError: (error: unknown) => void;

  constructor(onSubscriberError: (error: unknown) => void) {
    this.#onSubscriberError = onSubscriberError;
  }

  /** The stored server state of one document (tombstones included). */
  base(collection: string, docId: string): BaseDocument | undefined {
    return this.#base.get(collection)?.get(docId);
  }

  setBase(documents: readonly BaseDocument[]): void {
    for (const doc of documents) {
      let collection = this.#base.get(doc.collection);
      if (!collection) {
        collection = new Map();
        this.#base.set(doc.collection, collection);
      }
      collection.set(doc.docId, doc);
      this.#touch(doc.collection);
    }
  }

  /** Forgets the stored server state of these documents. */
  removeBase(keys: ReadonlyArray<{ collection: string; docId: string }>): void {
    for (const key of keys) {
      if (this.#base.get(key.collection)?.delete(key.docId)) this.#touch(key.collection);
    }
  }

  clearBase(): void {
    for (const collection of this.#base.keys()) this.#touch(collection);
    this.#base.clear();
  }

  setOutbox(entries: readonly OutboxEntry[]): void {
    const next = new Map<string, OutboxEntry[]>();
    for (const entry of [...entries].sort((a, b) => a.order - b.order)) {
      const key = docKey(entry.collection, entry.docId);
      const list = next.get(key);
      if (list) list.push(entry);
      else next.set(key, [entry]);
    }
    for (const [key, list] of next) {
      const before = this.#pending.get(key);
      if (before?.length !== list.length || before.some((entry, i) => entry.id !== list[i]!.id)) {
        this.#touch(list[0]!.collection);
      }
    }
    for (const [key, list] of this.#pending) {
      if (!next.has(key)) this.#touch(list[0]!.collection);
    }
    this.#pending = next;
  }

  addPending(entry: OutboxEntry): void {
    const key = docKey(entry.collection, entry.docId);
    const list = this.#pending.get(key);
    if (list) list.push(entry);
    else this.#pending.set(key, [entry]);
    this.#touch(entry.collection);
  }

  pendingCount(): number {
    let count = 0;
    for (const list of this.#pending.values()) count += list.length;
    return count;
  }

  /** The version a new edit of this document is based on. */
  parentVersion(collection: string, docId: string): string | null {
    const pending = this.#pending.get(docKey(collection, docId));
    if (pending) return pending[0]!.parentVersion;
    return this.base(collection, docId)?.version ?? null;
  }

  get(collection: string, docId: string): ClientDocument | undefined {
    return this.#visible(collection, docId, this.base(collection, docId));
  }

  list(collection: string, filter?: DocumentFilter): ClientDocument[] {
    const found: ClientDocument[] = [];
    const seen = new Set<string>();
    const consider = (docId: string, base: BaseDocument | undefined) => {
      const doc = this.#visible(collection, docId, base);
      if (doc && (!filter || filter(doc))) found.push(doc);
    };
    for (const [docId, base] of this.#base.get(collection) ?? []) {
      seen.add(docId);
      consider(docId, base);
    }
    for (const list of this.#pending.values()) {
      const entry = list[0]!;
      if (entry.collection === collection && !seen.has(entry.docId)) {
        seen.add(entry.docId);
        consider(entry.docId, undefined);
      }
    }
    return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  #visible(
    collection: string,
    docId: string,
    base: BaseDocument | undefined,
  ): ClientDocument | undefined {
    const pending = this.#pending.get(docKey(collection, docId));
    const last = pending?.[pending.length - 1];
    let data: DocumentData | null;
    if (last) data = last.operation === 'delete' ? null : last.data;
    else data = base && !base.deleted ? base.data : null;
    if (data === null) return undefined;
    return { collection, id: docId, data, version: base?.version ?? null, pending: !!last };
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
