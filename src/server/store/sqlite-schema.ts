import type Database from 'better-sqlite3';
import type { OplogEntry, StoredDocument } from './types.js';

/** The SQLite document store's tables, the migrations of older files, and row mapping. */
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
  actor_id TEXT,
  PRIMARY KEY (scope, collection, doc_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_oplog (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  scope_seq INTEGER NOT NULL,
  collection TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  op TEXT NOT NULL,
  version TEXT NOT NULL,
  data TEXT,
  client_id TEXT,
  change_id TEXT,
  actor_id TEXT,
  created_ms INTEGER NOT NULL
);
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
CREATE TABLE IF NOT EXISTS sync_scopes (
  scope TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  pruned_through INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

export type Row = Record<string, unknown>;

/** SQLite's BINARY order of TEXT: byte order of the UTF-8 encoding. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function toDocument(row: Row): StoredDocument {
  return {
    scope: row.scope as string,
    collection: row.collection as string,
    docId: row.doc_id as string,
    data: (row.data as string | null) ?? null,
    version: row.version as string,
    editVersion: row.edit_version as string,
    deleted: row.deleted === 1,
    updatedMs: row.updated_ms as number,
    actorId: (row.actor_id as string | null | undefined) ?? null,
  };
}

/**
 * The oplog columns a pull reads, in the order `entryFromValues` takes them: pulls read rows
 * as arrays (better-sqlite3's raw mode), which costs about half of reading them as objects.
 */
export const ENTRY_COLUMNS =
  'scope_seq, scope, collection, doc_id, op, version, data, client_id, actor_id, change_id, created_ms';

export function entryFromValues(values: unknown[]): OplogEntry {
  return {
    seq: values[0] as number,
    scope: values[1] as string,
    collection: values[2] as string,
    docId: values[3] as string,
    operation: values[4] as 'upsert' | 'delete',
    version: values[5] as string,
    data: (values[6] as string | null) ?? null,
    clientId: (values[7] as string | null) ?? null,
    actorId: (values[8] as string | null | undefined) ?? null,
    changeId: (values[9] as string | null) ?? null,
    createdMs: values[10] as number,
  };
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
 * Files made before actors were stored get the `actor_id` columns; their rows keep everything
 * and read back with no actor (null), as nobody recorded one.
 */
function addActor(db: Database.Database): void {
  db.transaction(() => {
    for (const table of ['sync_documents', 'sync_oplog']) {
      const columns = db.pragma(`table_info(${table})`) as Array<{ name: string }>;
      if (!columns.some((column) => column.name === 'actor_id')) {
        db.exec(`ALTER TABLE ${table} ADD COLUMN actor_id TEXT`);
      }
    }
  }).immediate();
}

/**
 * Files made when seqs were store-wide get per-scope seqs. Every existing entry keeps its old
 * seq as its scope seq and every scope then existing continues from the store's highest seq
 * (the recorded base), so a cursor a client holds still means "everything up to here": it
 * resumes without loss or resync. Scopes created later count from 1.
 */
function addScopeSeq(db: Database.Database): void {
  db.transaction(() => {
    const columns = db.pragma('table_info(sync_oplog)') as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'scope_seq')) {
      db.exec('ALTER TABLE sync_oplog ADD COLUMN scope_seq INTEGER NOT NULL DEFAULT 0');
      db.exec('UPDATE sync_oplog SET scope_seq = seq');
      const { base } = db
        .prepare(
          `SELECT MAX(COALESCE((SELECT MAX(seq) FROM sync_oplog), 0),
             COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sync_oplog'), 0)) AS base`,
        )
        .get() as { base: number };
      const pruned = db
        .prepare("SELECT value FROM sync_meta WHERE key = 'pruned_through_seq'")
        .get() as { value: number } | undefined;
      db.prepare(
        `INSERT INTO sync_scopes (scope, last_seq, pruned_through)
         SELECT scope, ?, ? FROM (SELECT scope FROM sync_oplog UNION SELECT scope FROM sync_documents)
         WHERE true ON CONFLICT (scope) DO NOTHING`,
      ).run(base, pruned?.value ?? 0);
      db.prepare(
        `INSERT INTO sync_meta (key, value) VALUES ('scope_seq_base', ?)
         ON CONFLICT (key) DO NOTHING`,
      ).run(base);
      db.exec('DROP INDEX IF EXISTS sync_oplog_by_scope');
      // A server process of the older version still running on this file would append entries
      // without a scope seq (the column's default): refuse them rather than store them unseen.
      db.exec(`CREATE TRIGGER IF NOT EXISTS sync_oplog_needs_scope_seq BEFORE INSERT ON sync_oplog
        WHEN NEW.scope_seq = 0 BEGIN
          SELECT RAISE(ABORT, 'this sync store numbers seqs per scope: upgrade every keepsync server on it');
        END`);
    }
    db.exec(
      'CREATE UNIQUE INDEX IF NOT EXISTS sync_oplog_by_scope_seq ON sync_oplog (scope, scope_seq)',
    );
  }).immediate();
}

/** Creates the sync tables when missing, and brings older files up to date. */
export function createSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  addEditVersion(db);
  addActor(db);
  addScopeSeq(db);
}
