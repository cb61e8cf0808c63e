import Database from 'better-sqlite3';
import { KeepsyncError } from '../../model/index.js';
import { docKey, planBatch } from './plan.js';
import type {
  ApplyBatchInput,
  ApplyBatchOutcome,
  ChangeResult,
  Decide,
  DocumentSnapshot,
  DocumentStore,
  OplogEntry,
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
  /** @default 5000 */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sync_documents (
  scope TEXT NOT NULL,
  collection TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  data TEXT,
  version TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL,
  edit_version TEXT NOT NULL,
  PRIMARY KEY (scope, collection, doc_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_oplog (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  collection TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  op TEXT NOT NULL,
  version TEXT NOT NULL,
  data TEXT,
  client_id TEXT,
  change_id TEXT,
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_oplog_by_scope ON sync_oplog (scope, seq);
CREATE INDEX IF NOT EXISTS sync_oplog_by_version ON sync_oplog (scope, version);
CREATE INDEX IF NOT EXISTS sync_oplog_by_time ON sync_oplog (created_ms);
CREATE TABLE IF NOT EXISTS sync_idempotency (
  scope TEXT NOT NULL,
  client_id TEXT NOT NULL,
  key TEXT NOT NULL,
  result TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (scope, client_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sync_idempotency_by_time ON sync_idempotency (created_ms);
CREATE TABLE IF NOT EXISTS sync_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

type Row = Record<string, unknown>;

/** SQLite's BINARY order of TEXT: byte order of the UTF-8 encoding. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function toDocument(row: Row): StoredDocument {
  return {
    scope: row.scope as string,
    collection: row.collection as string,
    docId: row.doc_id as string,
    data: (row.data as string | null) ?? null,
    version: row.version as string,
    editVersion: row.edit_version as string,
    deleted: row.deleted === 1,
    updatedMs: row.updated_ms as number,
  };
}

function toEntry(row: Row): OplogEntry {
  return {
    seq: row.seq as number,
    scope: row.scope as string,
    collection: row.collection as string,
    docId: row.doc_id as string,
    operation: row.op as 'upsert' | 'delete',
    version: row.version as string,
    data: (row.data as string | null) ?? null,
    clientId: (row.client_id as string | null) ?? null,
    changeId: (row.change_id as string | null) ?? null,
    createdMs: row.created_ms as number,
  };
}

function configure(db: Database.Database, options: SqliteDocumentStoreOptions): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
}

/** Databases created before edit times were stored get the column, filled from `version`. */
function addEditVersion(db: Database.Database): void {
  db.transaction(() => {
    const columns = db.pragma('table_info(sync_documents)') as Array<{ name: string }>;
    if (columns.some((column) => column.name === 'edit_version')) return;
    db.exec('ALTER TABLE sync_documents ADD COLUMN edit_version TEXT');
    db.exec('UPDATE sync_documents SET edit_version = version');
  }).immediate();
}

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
  writer.exec(SCHEMA);
  addEditVersion(writer);
  const reader = new Database(options.path);
  configure(reader, options);
  return new SqliteDocumentStore(writer, reader, options);
}

class SqliteDocumentStore implements DocumentStore {
  readonly dialect = 'sqlite' as const;
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #options: SqliteDocumentStoreOptions;
  readonly #snapshots = new Set<Database.Database>();
  readonly #w;
  readonly #r;
  readonly #apply: Database.Transaction<
    (input: ApplyBatchInput<StoreChange>, decide: Decide<StoreChange>) => ApplyBatchOutcome
  >;
  #closed = false;

  constructor(
    writer: Database.Database,
    reader: Database.Database,
    options: SqliteDocumentStoreOptions,
  ) {
    this.#writer = writer;
    this.#reader = reader;
    this.#options = options;
    this.#w = {
      getDoc: writer.prepare(
        'SELECT * FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id = ?',
      ),
      getReplay: writer.prepare(
        'SELECT result FROM sync_idempotency WHERE scope = ? AND client_id = ? AND key = ?',
      ),
      putDoc: writer.prepare(
        `INSERT INTO sync_documents (scope, collection, doc_id, data, version, edit_version, deleted, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope, collection, doc_id) DO UPDATE SET
           data = excluded.data, version = excluded.version, edit_version = excluded.edit_version,
           deleted = excluded.deleted, updated_ms = excluded.updated_ms`,
      ),
      append: writer.prepare(
        `INSERT INTO sync_oplog (scope, collection, doc_id, op, version, data, client_id, change_id, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      putReplay: writer.prepare(
        `INSERT INTO sync_idempotency (scope, client_id, key, result, created_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      maxPrunedSeq: writer.prepare('SELECT MAX(seq) AS seq FROM sync_oplog WHERE created_ms < ?'),
      pruneOplog: writer.prepare('DELETE FROM sync_oplog WHERE seq <= ?'),
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
      pullAll: reader.prepare(
        'SELECT * FROM sync_oplog WHERE scope = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
      ),
      maxSeq: reader.prepare(
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM sync_oplog), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sync_oplog'), 0)) AS seq",
      ),
      seqAtVersion: reader.prepare(
        'SELECT MAX(seq) AS seq FROM sync_oplog WHERE scope = ? AND version <= ?',
      ),
      meta: reader.prepare('SELECT key, value FROM sync_meta'),
      count: reader.prepare('SELECT COUNT(*) AS n FROM sync_oplog'),
    };
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
          );
        }
        let lastSeq: number | null = null;
        for (const entry of plan.oplog) {
          const info = w.append.run(
            entry.scope,
            entry.collection,
            entry.docId,
            entry.operation,
            entry.version,
            entry.data,
            entry.clientId,
            entry.changeId,
            entry.createdMs,
          );
          lastSeq = Number(info.lastInsertRowid);
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
    // IMMEDIATE: take the write lock before reading, so no other process writes in between.
    return this.#apply.immediate(input, decide as Decide<StoreChange>);
  }

  async pull(query: PullQuery): Promise<PullPage> {
    this.#assertOpen();
    const top = this.#maxSeq();
    const wanted = query.collections ? new Set(query.collections) : null;
    const entries: OplogEntry[] = [];
    let after = query.afterSeq;
    // Filtering by collection in JS keeps one index (scope, seq); read in chunks so a scope
    // whose entries are mostly in other collections still returns a full page.
    while (entries.length < query.limit) {
      const chunk = Math.max(query.limit, 200);
      const rows = this.#r.pullAll.all(query.scope, after, top, chunk) as Row[];
      for (const row of rows) {
        after = row.seq as number;
        if (wanted && !wanted.has(row.collection as string)) continue;
        entries.push(toEntry(row));
        if (entries.length === query.limit) break;
      }
      if (rows.length < chunk) {
        if (entries.length < query.limit) after = top;
        break;
      }
    }
    const full = entries.length === query.limit;
    const lastSeq = full ? entries[entries.length - 1]!.seq : Math.max(after, query.afterSeq);
    return { entries, lastSeq, hasMore: full && lastSeq < top };
  }

  async seqAtVersion(scope: string, version: string): Promise<number> {
    const row = this.#r.seqAtVersion.get(scope, version) as { seq: number | null };
    return row.seq ?? 0;
  }

  async maxSeq(): Promise<number> {
    this.#assertOpen();
    return this.#maxSeq();
  }

  #maxSeq(): number {
    return (this.#r.maxSeq.get() as { seq: number }).seq;
  }

  async getDocument(scope: string, collection: string, docId: string) {
    const row = this.#r.getDoc.get(scope, collection, docId) as Row | undefined;
    return row ? toDocument(row) : null;
  }

  async listCollections(scope: string): Promise<string[]> {
    this.#assertOpen();
    const rows = this.#r.collections.all(scope) as Array<{ collection: string }>;
    return rows.map((row) => row.collection);
  }

  async openSnapshot(query: SnapshotQuery): Promise<DocumentSnapshot> {
    this.#assertOpen();
    const db = new Database(this.#options.path, { readonly: true });
    db.pragma(`busy_timeout = ${this.#options.busyTimeoutMs ?? 5000}`);
    this.#snapshots.add(db);
    const close = async () => {
      if (!this.#snapshots.delete(db)) return;
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    };
    try {
      db.exec('BEGIN');
      // The first read fixes the snapshot; every later page reads the same committed state.
      const lastSeq = (
        db
          .prepare(
            "SELECT MAX(COALESCE((SELECT MAX(seq) FROM sync_oplog), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sync_oplog'), 0)) AS seq",
          )
          .get() as { seq: number }
      ).seq;
      // One collection at a time along the primary key: a row-value range over several
      // collections made SQLite sort the whole remainder for every page (quadratic).
      const collections = [...new Set(query.collections)].sort(compareUtf8);
      const cols = 'scope, collection, doc_id, data, version, edit_version, deleted, updated_ms';
      const page = db.prepare(
        `SELECT ${cols} FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id > ?
         ORDER BY doc_id LIMIT ?`,
      );
      const count = db.prepare(
        'SELECT COUNT(*) AS n FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id > ?',
      );
      const nth = db.prepare(
        `SELECT doc_id FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id > ?
         ORDER BY doc_id LIMIT 1 OFFSET ?`,
      );
      // Where each collection starts: after the cursor in its collection, before all later ones.
      const lanes = collections
        .filter(
          (collection) => !query.after || compareUtf8(collection, query.after.collection) >= 0,
        )
        .map((collection) => ({
          collection,
          from: query.after && collection === query.after.collection ? query.after.docId : '',
        }));
      let nextKey: { collection: string; docId: string } | null = null;
      if (query.limit !== null) {
        // The limit-th document is where the next response starts, if anything follows it.
        let remaining = query.limit;
        for (const [index, lane] of lanes.entries()) {
          const { n } = count.get(query.scope, lane.collection, lane.from) as { n: number };
          if (remaining > n) {
            remaining -= n;
            continue;
          }
          const more =
            remaining < n ||
            lanes
              .slice(index + 1)
              .some(
                (later) =>
                  (count.get(query.scope, later.collection, later.from) as { n: number }).n > 0,
              );
          if (more) {
            const row = nth.get(query.scope, lane.collection, lane.from, remaining - 1) as Row;
            nextKey = { collection: lane.collection, docId: row.doc_id as string };
          }
          break;
        }
      }
      const pageSize = query.pageSize ?? 1000;
      const limit = query.limit;
      return {
        lastSeq,
        next: nextKey,
        async *pages() {
          let left = limit ?? Number.POSITIVE_INFINITY;
          let firstPage = true;
          for (const lane of lanes) {
            let after = lane.from;
            while (left > 0) {
              // better-sqlite3 is synchronous: give the event loop a turn between pages, so the
              // bytes already produced reach the socket and other requests are served meanwhile.
              if (!firstPage) await new Promise((resolve) => setImmediate(resolve));
              firstPage = false;
              const size = Math.min(pageSize, left);
              const rows = page.all(query.scope, lane.collection, after, size) as Row[];
              if (rows.length === 0) break;
              const docs = rows.map(toDocument);
              left -= docs.length;
              after = docs[docs.length - 1]!.docId;
              yield docs;
              if (rows.length < size) break;
            }
          }
        },
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  }

  async retention(): Promise<RetentionState> {
    const rows = this.#r.meta.all() as Array<{ key: string; value: number }>;
    const map = new Map(rows.map((row) => [row.key, row.value]));
    return {
      prunedThroughSeq: map.get('pruned_through_seq') ?? 0,
      prunedBeforeMs: map.get('pruned_before_ms') ?? 0,
    };
  }

  async prune(beforeMs: number): Promise<{ removed: number; state: RetentionState }> {
    this.#assertOpen();
    const w = this.#w;
    const removed = this.#writer
      .transaction(() => {
        // Prune a prefix of seqs only, so "pruned through seq N" stays exact even if clocks
        // made created_ms non-monotonic.
        const top = (w.maxPrunedSeq.get(beforeMs) as { seq: number | null }).seq;
        let count = 0;
        if (top !== null) {
          count = w.pruneOplog.run(top).changes;
          w.putMeta.run('pruned_through_seq', top);
        }
        w.putMeta.run('pruned_before_ms', beforeMs);
        w.pruneReplays.run(beforeMs);
        return count;
      })
      .immediate();
    return { removed, state: await this.retention() };
  }

  async countOplog(): Promise<number> {
    return (this.#r.count.get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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

  #assertOpen(): void {
    if (this.#closed) throw new KeepsyncError('STORE_FAILED', 'The sync store is closed');
  }
}
