import Database from 'better-sqlite3';
import { KeepsyncError } from '../../model/index.js';
import { retryWhileBusy, SQLITE_SYNC_BUSY_MS } from '../../store/index.js';
import { docKey, planBatch } from './plan.js';
import { startWalCheckpointer, type WalCheckpointer } from './sqlite-checkpointer.js';
import { createSqlitePullReader, type SqlitePullReader } from './sqlite-pull.js';
import { createSchema, type Row, toDocument } from './sqlite-schema.js';
import { openSqliteSnapshot } from './sqlite-snapshot.js';
import type {
  ApplyBatchInput,
  ApplyBatchOutcome,
  ChangeResult,
  Decide,
  DocumentSnapshot,
  DocumentStore,
  EncodedPullPage,
  PullPage,
  PullQuery,
  RetentionState,
  SnapshotQuery,
  StoreChange,
  StoredDocument,
} from './types.js';

export interface SqliteDocumentStoreOptions {
  /** Path of the database file (it may be the same file as the pipeline store's). */
  path: string;
  /**
   * SQLite's `synchronous` setting. `NORMAL` (WAL) survives a process crash; `FULL` also
   * survives power loss, at a cost per commit.
   * @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long an operation keeps waiting while another process holds the database's lock.
   * The wait is asynchronous (the event loop keeps serving), except at open.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/**
 * While opening (before the server serves anything) a connection waits for the lock
 * synchronously, the whole `busyTimeoutMs`; afterwards only SQLITE_SYNC_BUSY_MS, the rest of
 * any wait being asynchronous (retryWhileBusy), so another process's write lock never
 * freezes this server's event loop.
 */
function configure(db: Database.Database, options: SqliteDocumentStoreOptions): void {
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Checkpoints run on a worker thread (sqlite-checkpointer.ts). The writer still checkpoints
 * in its own commit once the WAL holds this many pages (~80 MB at 4 KiB, a few seconds of the
 * heaviest push load measured), so the WAL stays bounded if the worker falls behind (a
 * snapshot holding old frames, a slow disk); SQLite's default threshold is restored if the
 * worker fails.
 */
const WAL_BACKSTOP_PAGES = 20_000;
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * The embedded document store: one SQLite file in WAL mode. Writes go through one connection
 * (SQLite has one writer at a time anyway); reads use a second one, so they never see a
 * transaction in progress; every full export opens its own connection to hold its snapshot.
 */
export function openSqliteDocumentStore(options: SqliteDocumentStoreOptions): DocumentStore {
  if (options.path === ':memory:' || options.path === '') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'Expected `path` to name a database file: the sync server reads through several connections, which an in-memory database cannot share',
    );
  }
  const writer = new Database(options.path);
  configure(writer, options);
  createSchema(writer);
  const reader = new Database(options.path);
  configure(reader, options);
  for (const db of [writer, reader]) db.pragma(`busy_timeout = ${SQLITE_SYNC_BUSY_MS}`);
  writer.pragma(`wal_autocheckpoint = ${WAL_BACKSTOP_PAGES}`);
  const checkpointer = startWalCheckpointer({
    path: options.path,
    synchronous: options.synchronous ?? 'NORMAL',
    onFailure: () => {
      if (writer.open) writer.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
    },
  });
  return new SqliteDocumentStore(writer, reader, checkpointer, options);
}

class SqliteDocumentStore implements DocumentStore {
  readonly dialect = 'sqlite' as const;
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #checkpointer: WalCheckpointer;
  readonly #options: SqliteDocumentStoreOptions;
  readonly #snapshots = new Set<Database.Database>();
  readonly #w;
  readonly #r;
  readonly #pages: SqlitePullReader;
  readonly #apply: Database.Transaction<
    (input: ApplyBatchInput<StoreChange>, decide: Decide<StoreChange>) => ApplyBatchOutcome
  >;
  #closed = false;

  constructor(
    writer: Database.Database,
    reader: Database.Database,
    checkpointer: WalCheckpointer,
    options: SqliteDocumentStoreOptions,
  ) {
    this.#writer = writer;
    this.#reader = reader;
    this.#checkpointer = checkpointer;
    this.#options = options;
    this.#w = {
      getDoc: writer.prepare(
        'SELECT * FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id = ?',
      ),
      getReplay: writer.prepare(
        'SELECT result FROM sync_idempotency WHERE scope = ? AND client_id = ? AND key = ?',
      ),
      putDoc: writer.prepare(
        `INSERT INTO sync_documents (scope, collection, doc_id, data, version, edit_version, deleted, updated_ms, actor_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope, collection, doc_id) DO UPDATE SET
           data = excluded.data, version = excluded.version, edit_version = excluded.edit_version,
           deleted = excluded.deleted, updated_ms = excluded.updated_ms, actor_id = excluded.actor_id`,
      ),
      append: writer.prepare(
        `INSERT INTO sync_oplog (scope, scope_seq, collection, doc_id, op, version, data, client_id, change_id, created_ms, actor_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      // Inside the IMMEDIATE transaction: one writer at a time, across processes too.
      allocate: writer.prepare(
        `INSERT INTO sync_scopes (scope, last_seq, pruned_through) VALUES (?, ?, 0)
         ON CONFLICT (scope) DO UPDATE SET last_seq = last_seq + excluded.last_seq
         RETURNING last_seq`,
      ),
      putReplay: writer.prepare(
        `INSERT INTO sync_idempotency (scope, client_id, key, result, created_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      prunable: writer.prepare(
        'SELECT scope, MAX(scope_seq) AS top FROM sync_oplog WHERE created_ms < ? GROUP BY scope',
      ),
      pruneOplog: writer.prepare('DELETE FROM sync_oplog WHERE scope = ? AND scope_seq <= ?'),
      markPruned: writer.prepare(
        'UPDATE sync_scopes SET pruned_through = MAX(pruned_through, ?) WHERE scope = ?',
      ),
      pruneReplays: writer.prepare('DELETE FROM sync_idempotency WHERE created_ms < ?'),
      putMeta: writer.prepare(
        `INSERT INTO sync_meta (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)`,
      ),
    };
    this.#r = {
      getDoc: reader.prepare(
        'SELECT * FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id = ?',
      ),
      collections: reader.prepare(
        'SELECT DISTINCT collection FROM sync_documents WHERE scope = ? ORDER BY collection',
      ),
      scope: reader.prepare('SELECT last_seq, pruned_through FROM sync_scopes WHERE scope = ?'),
      commitMark: reader.prepare(
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM sync_oplog), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sync_oplog'), 0)) AS seq",
      ),
      seqAtVersion: reader.prepare(
        'SELECT MAX(scope_seq) AS seq FROM sync_oplog WHERE scope = ? AND version <= ?',
      ),
      prunedBefore: reader.prepare("SELECT value FROM sync_meta WHERE key = 'pruned_before_ms'"),
      count: reader.prepare('SELECT COUNT(*) AS n FROM sync_oplog'),
    };
    this.#pages = createSqlitePullReader(reader, (scope) => this.#scope(scope).lastSeq);
    this.#apply = writer.transaction(
      (input: ApplyBatchInput<StoreChange>, decide: Decide<StoreChange>) => {
        const w = this.#w;
        const current = new Map<string, StoredDocument | null>();
        const replays = new Map<string, ChangeResult>();
        for (const change of input.changes) {
          const key = docKey(change.collection, change.docId);
          if (!current.has(key)) {
            const row = w.getDoc.get(input.scope, change.collection, change.docId) as
              | Row
              | undefined;
            current.set(key, row ? toDocument(row) : null);
          }
          if (change.idempotencyKey !== null && !replays.has(change.idempotencyKey)) {
            const row = w.getReplay.get(input.scope, input.clientId, change.idempotencyKey) as
              | Row
              | undefined;
            if (row) replays.set(change.idempotencyKey, JSON.parse(row.result as string));
          }
        }
        const plan = planBatch(input, current, replays, decide, Date.now());
        if (plan.abortedAt >= 0) {
          return { results: plan.results, abortedAt: plan.abortedAt, lastSeq: null };
        }
        for (const doc of plan.documents.values()) {
          w.putDoc.run(
            doc.scope,
            doc.collection,
            doc.docId,
            doc.data,
            doc.version,
            doc.editVersion,
            doc.deleted ? 1 : 0,
            doc.updatedMs,
            doc.actorId,
          );
        }
        let lastSeq: number | null = null;
        if (plan.oplog.length > 0) {
          lastSeq = (w.allocate.get(input.scope, plan.oplog.length) as { last_seq: number })
            .last_seq;
        }
        let seq = (lastSeq ?? 0) - plan.oplog.length;
        for (const entry of plan.oplog) {
          w.append.run(
            entry.scope,
            ++seq,
            entry.collection,
            entry.docId,
            entry.operation,
            entry.version,
            entry.data,
            entry.clientId,
            entry.changeId,
            entry.createdMs,
            entry.actorId,
          );
        }
        const now = Date.now();
        for (const replay of plan.idempotency) {
          w.putReplay.run(
            input.scope,
            input.clientId,
            replay.key,
            JSON.stringify(replay.result),
            now,
          );
        }
        return { results: plan.results, abortedAt: -1, lastSeq };
      },
    );
  }

  async applyBatch<C extends StoreChange>(
    input: ApplyBatchInput<C>,
    decide: Decide<C>,
  ): Promise<ApplyBatchOutcome> {
    this.#assertOpen();
    if (input.transaction) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        "A write can join the application's transaction only on the PostgreSQL sync store",
      );
    }
    // IMMEDIATE: take the write lock before reading, so no other process writes in between.
    // A busy BEGIN IMMEDIATE ran nothing (decide included), so the retry starts afresh.
    const outcome = await this.#whenFree(() =>
      this.#apply.immediate(input, decide as Decide<StoreChange>),
    );
    this.#checkpointer.wrote();
    return outcome;
  }

  async pull(query: PullQuery): Promise<PullPage> {
    this.#assertOpen();
    return this.#whenFree(() => this.#pages.page(query));
  }

  async pullEncoded(query: PullQuery): Promise<EncodedPullPage> {
    this.#assertOpen();
    return this.#whenFree(() => this.#pages.encodedPage(query));
  }

  async seqAtVersion(scope: string, version: string): Promise<number> {
    const row = await this.#whenFree(
      () => this.#r.seqAtVersion.get(scope, version) as { seq: number | null },
    );
    return row.seq ?? 0;
  }

  async lastSeq(scope: string): Promise<number> {
    this.#assertOpen();
    return this.#whenFree(() => this.#scope(scope).lastSeq);
  }

  async commitMark(): Promise<number> {
    this.#assertOpen();
    return this.#whenFree(() => (this.#r.commitMark.get() as { seq: number }).seq);
  }

  #scope(scope: string): { lastSeq: number; prunedThrough: number } {
    const row = this.#r.scope.get(scope) as
      | { last_seq: number; pruned_through: number }
      | undefined;
    return { lastSeq: row?.last_seq ?? 0, prunedThrough: row?.pruned_through ?? 0 };
  }

  async getDocument(scope: string, collection: string, docId: string) {
    const row = await this.#whenFree(
      () => this.#r.getDoc.get(scope, collection, docId) as Row | undefined,
    );
    return row ? toDocument(row) : null;
  }

  async listCollections(scope: string): Promise<string[]> {
    this.#assertOpen();
    const rows = await this.#whenFree(
      () => this.#r.collections.all(scope) as Array<{ collection: string }>,
    );
    return rows.map((row) => row.collection);
  }

  async openSnapshot(query: SnapshotQuery): Promise<DocumentSnapshot> {
    this.#assertOpen();
    return openSqliteSnapshot(this.#options.path, this.#snapshots, query, (work) =>
      this.#whenFree(work),
    );
  }

  async retention(scope: string): Promise<RetentionState> {
    return this.#whenFree(() => {
      const row = this.#r.prunedBefore.get() as { value: number } | undefined;
      return {
        prunedThroughSeq: this.#scope(scope).prunedThrough,
        prunedBeforeMs: row?.value ?? 0,
      };
    });
  }

  async prune(beforeMs: number): Promise<{ removed: number; prunedBeforeMs: number }> {
    this.#assertOpen();
    const w = this.#w;
    const prune = this.#writer.transaction(() => {
      // Prune a prefix of each scope's seqs only, so "pruned through seq N" stays exact even
      // if clocks made created_ms non-monotonic.
      let count = 0;
      for (const row of w.prunable.all(beforeMs) as Array<{ scope: string; top: number }>) {
        count += w.pruneOplog.run(row.scope, row.top).changes;
        w.markPruned.run(row.top, row.scope);
      }
      w.putMeta.run('pruned_before_ms', beforeMs);
      w.pruneReplays.run(beforeMs);
      return count;
    });
    const removed = await this.#whenFree(() => prune.immediate());
    this.#checkpointer.wrote();
    return { removed, prunedBeforeMs: beforeMs };
  }

  async countOplog(): Promise<number> {
    return this.#whenFree(() => (this.#r.count.get() as { n: number }).n);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#checkpointer.close();
    for (const db of this.#snapshots) {
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } catch {}
      db.close();
    }
    this.#snapshots.clear();
    this.#reader.close();
    this.#writer.close();
  }

  #whenFree<T>(work: () => T): Promise<T> {
    return retryWhileBusy(work, {
      totalMs: this.#options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      what: `The sync store ${this.#options.path}`,
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new KeepsyncError('STORE_FAILED', 'The sync store is closed');
  }
}
