/**
 * The offline server's own narrow storage contract: documents, an append-only oplog and push
 * idempotency records. SQLite (embedded default) and PostgreSQL implement it; one conformance
 * suite runs against both.
 */

/** One document as stored: its latest state, or a tombstone when `deleted`. */
export interface StoredDocument {
  readonly scope: string;
  readonly collection: string;
  readonly docId: string;
  /** The document's JSON as text (`null` for tombstones). */
  readonly data: string | null;
  /** HLC of the latest write. */
  readonly version: string;
  /**
   * HLC of when the edit behind the current state was made (the client's `hlc`, else
   * `version`): last-writer-wins compares edit times, not arrival times.
   */
  readonly editVersion: string;
  readonly deleted: boolean;
  readonly updatedMs: number;
  /** Who made the latest write (the authenticated actor); null when written before actors were stored. */
  readonly actorId: string | null;
}

/**
 * One append-only oplog entry. `seq` is the entry's number within its scope: 1, 2, 3... in
 * commit order, without gaps, whatever other scopes write, so a cursor tells a tenant nothing
 * about anyone else.
 */
export interface OplogEntry {
  readonly seq: number;
  readonly scope: string;
  readonly collection: string;
  readonly docId: string;
  readonly operation: 'upsert' | 'delete';
  readonly version: string;
  /** JSON text of the document after the change, `null` for deletes. */
  readonly data: string | null;
  readonly clientId: string | null;
  /** The authenticated actor who made the change (null in entries older than actors). */
  readonly actorId: string | null;
  readonly changeId: string | null;
  readonly createdMs: number;
}

/** A change as the store sees it: validated, scoped, with its idempotency key. */
export interface StoreChange {
  readonly collection: string;
  readonly docId: string;
  /** Unique per (scope, client): a retry with the same key returns the stored result. */
  readonly idempotencyKey: string | null;
}

/** What the protocol layer decided for one change, given the document's current state. */
export type Decision =
  | {
      readonly kind: 'write';
      readonly operation: 'upsert' | 'delete';
      /** JSON text, `null` for deletes. */
      readonly data: string | null;
      readonly version: string;
      /** The edit time to store as the document's `editVersion`. */
      readonly editVersion: string;
      readonly changeId: string | null;
      /** The wire result stored for idempotent retries and returned to the client. */
      readonly result: ChangeResult;
    }
  /** Nothing is written (the stored state wins); the result is still recorded. */
  | { readonly kind: 'keep'; readonly result: ChangeResult }
  | { readonly kind: 'reject'; readonly result: ChangeResult };

/** The per-change answer of a push, as it travels on the wire. */
export interface ChangeResult {
  readonly doc_id: string;
  readonly collection: string;
  readonly status: 'accepted' | 'conflict_resolved' | 'rejected';
  readonly new_version?: string | undefined;
  /** A machine-readable reason for a rejection. */
  readonly code?: string | undefined;
  /** A readable reason for a rejection. */
  readonly error?: string | undefined;
  /** The state that won when it differs from what the client sent (resolved conflicts). */
  readonly document?:
    | { readonly data: unknown; readonly deleted: boolean; readonly version: string }
    | undefined;
  /** True when this is the stored answer to an earlier identical push. */
  readonly replayed?: boolean | undefined;
}

export type Decide<C extends StoreChange = StoreChange> = (
  change: C,
  current: StoredDocument | null,
) => Decision;

/**
 * The application's own open PostgreSQL transaction (a `pg` Client or PoolClient after
 * `BEGIN`), structurally typed so this contract does not depend on `pg`'s types.
 */
export interface SqlTransaction {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

export interface ApplyBatchInput<C extends StoreChange = StoreChange> {
  readonly scope: string;
  readonly clientId: string;
  /** The authenticated actor, recorded on every document and oplog entry written. */
  readonly actorId: string;
  readonly changes: readonly C[];
  /** All or nothing: the first rejection rolls the whole batch back. */
  readonly atomic: boolean;
  /**
   * Write inside this open transaction of the application (PostgreSQL only): the documents
   * and oplog entries commit or roll back with it, and nothing is announced before it commits.
   */
  readonly transaction?: SqlTransaction | undefined;
}

export interface ApplyBatchOutcome {
  /** One per change, in order. A replayed idempotent result has `replayed: true`. */
  readonly results: ChangeResult[];
  /** Index of the rejection that rolled an atomic batch back, or -1. */
  readonly abortedAt: number;
  /** Highest seq (of the scope) appended by this batch, or null when nothing was written. */
  readonly lastSeq: number | null;
}

export interface PullQuery {
  readonly scope: string;
  /** Exclusive. */
  readonly afterSeq: number;
  /** `null` means every collection. */
  readonly collections: readonly string[] | null;
  readonly limit: number;
}

export interface PullPage {
  readonly entries: OplogEntry[];
  /**
   * The cursor to continue from: the last entry's seq when the page is full, otherwise the
   * scope's highest committed seq (so a client skips past entries of other collections).
   */
  readonly lastSeq: number;
  readonly hasMore: boolean;
}

/** A pull page encoded for the wire by the database itself. */
export interface EncodedPullPage {
  /** The page's changes as `encodeChange` writes them, comma-separated. */
  readonly changes: string;
  readonly count: number;
  /** As `PullPage.lastSeq`. */
  readonly lastSeq: number;
  readonly hasMore: boolean;
}

/** Keyset position inside a full export. */
export interface DocumentKey {
  readonly collection: string;
  readonly docId: string;
}

export interface SnapshotQuery {
  readonly scope: string;
  readonly collections: readonly string[];
  /** Exclusive start. */
  readonly after: DocumentKey | null;
  /** Stop after this many documents; `null` = all. */
  readonly limit: number | null;
  /** Rows read from the database at a time. @default 1000 */
  readonly pageSize?: number;
}

/**
 * A consistent read-only view of the documents: everything committed before it opened and
 * nothing after, however long it is read. Always `close()` it.
 */
export interface DocumentSnapshot {
  /** The scope's highest oplog seq included in this snapshot. */
  readonly lastSeq: number;
  /**
   * When documents remain after `limit`: the key of the last document of this page, to start
   * the next one from (known up front, for the cursor header). Otherwise null.
   */
  readonly next: DocumentKey | null;
  /** Pages of documents in (collection, doc_id) order. */
  pages(): AsyncIterable<StoredDocument[]>;
  /**
   * The same pages already encoded as `format=rows` lines, for a store that builds that text
   * faster than the server can from `pages()`. Read one of the two, not both.
   */
  rowPages?(): AsyncIterable<RowsPage>;
  close(): Promise<void>;
}

/** A page of a snapshot as `format=rows` full resync lines, all of one collection. */
export interface RowsPage {
  readonly collection: string;
  /** Documents in the page. */
  readonly count: number;
  /** UTF-8 NDJSON, one `[doc_id, version, deleted, data, actor_id]` line per document. */
  readonly bytes: Uint8Array;
}

export interface RetentionState {
  /** The scope's entries with seq <= this have been pruned (0 = none). */
  readonly prunedThroughSeq: number;
  /** Entries created before this time have been pruned (0 = none). */
  readonly prunedBeforeMs: number;
}

export interface DocumentStore {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Applies a push batch in ONE transaction: each written change with its oplog entry and its
   * idempotency record. `decide` runs inside the transaction, once per change, in order, with
   * the document's state including earlier changes of the same batch.
   */
  applyBatch<C extends StoreChange>(
    input: ApplyBatchInput<C>,
    decide: Decide<C>,
  ): Promise<ApplyBatchOutcome>;
  pull(query: PullQuery): Promise<PullPage>;
  /**
   * The same page as `pull`, already encoded, for stores that can build the JSON themselves
   * (SQLite): `/sync/pull` then sends it without making an object per entry.
   */
  pullEncoded?(query: PullQuery): Promise<EncodedPullPage>;
  /** The seq of the newest entry of `scope` whose version is <= `version`, or 0. */
  seqAtVersion(scope: string, version: string): Promise<number>;
  /** The scope's highest committed seq (including pruned ones), 0 before its first write. */
  lastSeq(scope: string): Promise<number>;
  /**
   * A number that grows whenever anything is committed to the store, in any scope: change
   * detection for the server's poll only, never shown to a client (it counts every scope).
   */
  commitMark(): Promise<number>;
  getDocument(scope: string, collection: string, docId: string): Promise<StoredDocument | null>;
  /** The collections holding at least one document (tombstones count) in `scope`, sorted. */
  listCollections(scope: string): Promise<string[]>;
  openSnapshot(query: SnapshotQuery): Promise<DocumentSnapshot>;
  /** What has been pruned from `scope`'s oplog. */
  retention(scope: string): Promise<RetentionState>;
  /**
   * Deletes oplog entries and idempotency records created before `beforeMs`: in every scope,
   * the prefix of its seqs up to its newest entry that old, so "pruned through" stays exact.
   */
  prune(beforeMs: number): Promise<{ removed: number; prunedBeforeMs: number }>;
  countOplog(): Promise<number>;
  /**
   * Calls `onCommit(scope, seq)` for changes committed by ANY process on this store where the
   * backend can tell (PostgreSQL LISTEN/NOTIFY); returns a stop function. Backends without
   * cross-process notifications leave it out and the server polls instead. A `null` scope
   * means "anything may have changed" (after a reconnect).
   */
  listen?(onCommit: (scope: string | null, seq: number) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
