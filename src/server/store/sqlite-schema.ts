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

export function toEntry(row: Row): OplogEntry {
  return {
    seq: row.seq as number,
    scope: row.scope as string,
    collection: row.collection as string,
    docId: row.doc_id as string,
    operation: row.op as 'upsert' | 'delete',
    version: row.version as string,
    data: (row.data as string | null) ?? null,
    clientId: (row.client_id as string | null) ?? null,
    actorId: (row.actor_id as string | null | undefined) ?? null,
    changeId: (row.change_id as string | null) ?? null,
    createdMs: row.created_ms as number,
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

/** Creates the sync tables when missing, and brings older files up to date. */
export function createSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  addEditVersion(db);
  addActor(db);
}
