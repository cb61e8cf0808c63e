/** A JSON object: what a document holds. */
export type DocumentData = Record<string, unknown>;

/** A document as the server last confirmed it (a tombstone when `deleted`). */
export interface BaseDocument {
  readonly collection: string;
  readonly docId: string;
  /** The server's HLC version. */
  readonly version: string;
  readonly deleted: boolean;
  readonly data: DocumentData | null;
}

/** A local edit waiting to be pushed. */
export interface OutboxEntry {
  /** Idempotency key sent as the change `id`: a retried push never creates a second version. */
  readonly id: string;
  /** Local order of the edit (assigned by the store). */
  readonly order: number;
  readonly collection: string;
  readonly docId: string;
  readonly operation: 'upsert' | 'delete';
  readonly data: DocumentData | null;
  /** The server version the edit was made on (`null` for a document the client never saw). */
  readonly parentVersion: string | null;
  /** The client's HLC of the edit, for last-writer-wins across devices. */
  readonly hlc: string;
}

/** A local edit the server refused for good: kept, with the reason, until the app acts on it. */
export interface RejectedEdit {
  /** The id of the (last) outbox entry refused: what `retryRejected`/`dismissRejected` take. */
  readonly editId: string;
  readonly collection: string;
  /** The document id. */
  readonly id: string;
  readonly local: {
    readonly operation: 'upsert' | 'delete';
    readonly data: DocumentData | null;
  };
  /** The server's code, e.g. `DOCUMENT_DELETED`, `FORBIDDEN`. */
  readonly code: string;
  readonly error: string;
}

/** A document as the app sees it: the server's state with the pending local edits on top. */
export interface ClientDocument {
  readonly collection: string;
  readonly id: string;
  readonly data: DocumentData;
  /** The server version it is based on; `null` when it only exists locally so far. */
  readonly version: string | null;
  /** True while a local edit of it has not been accepted by the server yet. */
  readonly pending: boolean;
}

/** `{collection}\u0000{docId}`: one string key per document. */
export function docKey(collection: string, docId: string): string {
  return `${collection}\u0000${docId}`;
}

/** One oplog change as pull and the stream send it. */
export interface WireChange {
  readonly seq: number;
  readonly version: string;
  readonly collection: string;
  readonly doc_id: string;
  readonly operation: 'upsert' | 'delete';
  readonly data: DocumentData | null;
  readonly client_id: string | null;
  /** The authenticated actor who made the change (servers before actors send none). */
  readonly actor_id?: string | null;
}

/** One push result. */
export interface WireResult {
  readonly doc_id: string;
  readonly collection: string;
  readonly status: 'accepted' | 'conflict_resolved' | 'rejected';
  readonly new_version?: string;
  readonly code?: string;
  readonly error?: string;
  readonly document?: {
    readonly data: DocumentData | null;
    readonly deleted: boolean;
    readonly version: string;
  };
}

export function changeToBase(change: WireChange): BaseDocument {
  return {
    collection: change.collection,
    docId: change.doc_id,
    version: change.version,
    deleted: change.operation === 'delete',
    data: change.operation === 'delete' ? null : change.data,
  };
}
