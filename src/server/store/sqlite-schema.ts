import type Database from 'better-sqlite3';

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

/** Databases created before edit times were stored get the column, filled from `version`. */
function addEditVersion(db: Database.Database): void {
  db.transaction(() => {
    const columns = db.pragma('table_info(sync_documents)') as Array<{ name: string }>;
    if (columns.some((column) => column.name === 'edit_version')) return;
    db.exec('ALTER TABLE sync_documents ADD COLUMN edit_version TEXT');
    db.exec('UPDATE sync_documents SET edit_version = version');
  }).immediate();
}

/** Creates the sync tables when missing, and brings older databases up to date. */
export function createSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  addEditVersion(db);
}
