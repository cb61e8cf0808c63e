import type { PushBatch } from './outbox-batch.js';
import type { BaseDocument, OutboxEntry, RejectedEdit } from './types.js';

/** What a local store holds besides documents and the outbox. */
export interface LocalMeta {
  /** The server's `last_seq` cursor of the last change applied; `'0'` before the first sync. */
  readonly lastSeq: string;
  /** This device's id, sent as `client_id` (one per local database, shared by its tabs). */
  readonly clientId: string | null;
  /** Set while a full resync is replacing the documents; a restart resumes it. */
  readonly resyncing: boolean;
  /** Where the running full resync goes on (the next page's cursor); null: from the start. */
  readonly resyncCursor: string | null;
  /** How far the server's clock is ahead of this device's (negative: behind), last seen. */
  readonly clockOffsetMs: number;
  /**
   * A push sent but not answered: it goes again exactly as it was (same change ids), also
   * after a reload, so the server recognises it instead of seeing a conflicting edit.
   */
  readonly pushInFlight: PushBatch | null;
}

/** One atomic change of the local store after the server answered. */
export interface LocalApply {
  /** Server states to store; a document is only replaced by a later (or equal) version. */
  readonly documents?: readonly BaseDocument[];
  /** Outbox entries the server has answered. */
  readonly removeOutbox?: readonly string[];
  /**
   * Outbox entries of these documents made on `from` are now based on `to`: the server
   * accepted this client's own earlier edit of them, so they must not conflict with it.
   */
  readonly reparent?: ReadonlyArray<{
    collection: string;
    docId: string;
    from: string | null;
    to: string;
  }>;
  /** Edits the server refused, kept for the app (they leave the outbox in the same change). */
  readonly reject?: readonly RejectedEdit[];
  /** Rejected edits the app retried or dismissed, by `editId`. */
  readonly forgetRejected?: readonly string[];
  /** The new pull cursor. */
  readonly lastSeq?: string;
  /** The server's clock offset, learned from an answer. */
  readonly clockOffsetMs?: number;
  /** The push in flight was answered. */
  readonly pushInFlight?: null;
}

/**
 * Where a client keeps its documents, their server versions, the pull cursor and the durable
 * outbox. Every method is one transaction, so a crash or a second tab never sees half of it.
 */
export interface LocalStore {
  /** `memory` or `indexeddb`. */
  readonly kind: string;
  /** Whether other tabs share this store (then the client elects one leader to sync). */
  readonly shared: boolean;
  /** The name tabs use to find each other (lock and channel names). */
  readonly name: string;
  meta(): Promise<LocalMeta>;
  setClientId(clientId: string): Promise<void>;
  /** Stores the push about to be sent (null: none is in flight). */
  setPushInFlight(batch: PushBatch | null): Promise<void>;
  /** Every stored document (tombstones included). */
  documents(): Promise<BaseDocument[]>;
  /** The stored documents of these keys (missing ones are left out). */
  documentsOf(keys: ReadonlyArray<{ collection: string; docId: string }>): Promise<BaseDocument[]>;
  /** The whole outbox, oldest first. */
  outbox(): Promise<OutboxEntry[]>;
  /** The edits the server refused, oldest first, until the app retries or dismisses them. */
  rejected(): Promise<RejectedEdit[]>;
  /** Adds a local edit; the store assigns `order`. */
  enqueue(entry: Omit<OutboxEntry, 'order'>): Promise<OutboxEntry>;
  apply(change: LocalApply): Promise<void>;
  /**
   * Starts a full resync: forgets the pull cursor. The documents stay readable until it ends;
   * those it does not send again are removed then. The outbox stays.
   */
  beginResync(): Promise<void>;
  /**
   * Stores documents of a full resync as sent (the server's state, so nothing is compared);
   * with `cursor`, also where the resync goes on after a restart, in the same transaction.
   * Documents given without a cursor may be held until the next call with one (a restart
   * fetches them again from the stored cursor anyway).
   */
  putResyncPage(documents: readonly BaseDocument[], cursor?: string): Promise<void>;
  /**
   * Ends a full resync: stores its last documents and the pull cursor, and removes the
   * documents stored before it that it did not send again; returns those.
   */
  endResync(
    lastSeq: string,
    documents?: readonly BaseDocument[],
  ): Promise<Array<{ collection: string; docId: string }>>;
  close(): Promise<void>;
}

/** Keeps the later of two versions of one document (HLC strings sort by time). */
export function isNewer(incoming: BaseDocument, stored: BaseDocument | undefined): boolean {
  return stored === undefined || incoming.version >= stored.version;
}

export function isReparented(
  entry: OutboxEntry,
  move: { collection: string; docId: string; from: string | null },
): boolean {
  return (
    entry.collection === move.collection &&
    entry.docId === move.docId &&
    entry.parentVersion === move.from
  );
}
