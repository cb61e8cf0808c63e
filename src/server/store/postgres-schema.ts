import { createHash } from 'node:crypto';
import type { PgPoolClient } from '../../store/index.js';
import type { OplogEntry, StoredDocument } from './types.js';

/** The PostgreSQL document store's tables, the migrations of older schemas, and row mapping. */

function ddl(s: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${s}.sync_documents (
  scope TEXT COLLATE "C" NOT NULL,
  collection TEXT COLLATE "C" NOT NULL,
  doc_id TEXT COLLATE "C" NOT NULL,
  data TEXT,
  version TEXT COLLATE "C" NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT FALSE,
  updated_ms BIGINT NOT NULL,
  edit_version TEXT COLLATE "C" NOT NULL,
  actor_id TEXT,
  PRIMARY KEY (scope, collection, doc_id)
);
CREATE TABLE IF NOT EXISTS ${s}.sync_oplog (
  seq BIGSERIAL PRIMARY KEY,
  scope TEXT COLLATE "C" NOT NULL,
  scope_seq BIGINT NOT NULL,
  collection TEXT COLLATE "C" NOT NULL,
  doc_id TEXT COLLATE "C" NOT NULL,
  op TEXT NOT NULL,
  version TEXT COLLATE "C" NOT NULL,
  data TEXT,
  client_id TEXT,
  change_id TEXT,
  actor_id TEXT,
  created_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_oplog_by_version ON ${s}.sync_oplog (scope, version);
CREATE INDEX IF NOT EXISTS sync_oplog_by_time ON ${s}.sync_oplog (created_ms);
CREATE TABLE IF NOT EXISTS ${s}.sync_idempotency (
  scope TEXT NOT NULL,
  client_id TEXT NOT NULL,
  key TEXT NOT NULL,
  result TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (scope, client_id, key)
);
CREATE INDEX IF NOT EXISTS sync_idempotency_by_time ON ${s}.sync_idempotency (created_ms);
CREATE TABLE IF NOT EXISTS ${s}.sync_scopes (
  scope TEXT COLLATE "C" PRIMARY KEY,
  last_seq BIGINT NOT NULL,
  pruned_through BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ${s}.sync_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
`;
}

export type Row = Record<string, unknown>;

/** The query for `text` and `values` as the store sends its hot statements. */
export type Statement = (text: string, values: unknown[]) => import('pg').QueryConfig;

/**
 * Named prepared statements, parsed and planned once per connection (named by their text, as
 * pooled connections may serve stores of several schemas), or unnamed ones for poolers that
 * cannot keep them (PgBouncer before 1.21 in transaction mode).
 */
export function statementsOf(prepare: boolean): Statement {
  if (!prepare) return (text, values) => ({ text, values });
  // A store sends a handful of distinct texts: each is hashed once, not on every request.
  const names = new Map<string, string>();
  return (text, values) => {
    let name = names.get(text);
    if (name === undefined) {
      name = `keepsync_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return { name, text, values };
  };
}

export function toDocument(row: Row): StoredDocument {
  return {
    scope: row.scope as string,
    collection: row.collection as string,
    docId: row.doc_id as string,
    data: (row.data as string | null) ?? null,
    version: row.version as string,
    editVersion: row.edit_version as string,
    deleted: row.deleted === true,
    updatedMs: Number(row.updated_ms),
    actorId: (row.actor_id as string | null | undefined) ?? null,
  };
}

export function toEntry(row: Row): OplogEntry {
  return {
    seq: Number(row.scope_seq),
    scope: row.scope as string,
    collection: row.collection as string,
    docId: row.doc_id as string,
    operation: row.op as 'upsert' | 'delete',
    version: row.version as string,
    data: (row.data as string | null) ?? null,
    clientId: (row.client_id as string | null) ?? null,
    actorId: (row.actor_id as string | null | undefined) ?? null,
    changeId: (row.change_id as string | null) ?? null,
    createdMs: Number(row.created_ms),
  };
}

/** Creates the tables, or brings those of an older version up to date, keeping their rows. */
export async function migrate(client: PgPoolClient, schemaName: string): Promise<void> {
  const schema = `"${schemaName}"`;
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.query(ddl(schema));
  // Tables created before edit times were stored get the column, filled from `version`;
  // checked first so a normal start takes no exclusive lock on the table.
  const present = await client.query(
    `SELECT 1 FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = 'sync_documents' AND column_name = 'edit_version'`,
    [schemaName],
  );
  if (present.rows.length === 0) {
    await client.query(
      `ALTER TABLE ${schema}.sync_documents ADD COLUMN IF NOT EXISTS edit_version TEXT COLLATE "C"`,
    );
    await client.query(`UPDATE ${schema}.sync_documents SET edit_version = version`);
    await client.query(
      `ALTER TABLE ${schema}.sync_documents ALTER COLUMN edit_version SET NOT NULL`,
    );
  }
  // Schemas made before actors were stored: rows keep everything and read back with no actor.
  // Checked first, so a normal start takes no exclusive lock on the tables.
  const missing = await client.query(
    `SELECT t.name FROM unnest(ARRAY['sync_documents', 'sync_oplog']) AS t(name)
     WHERE NOT EXISTS (
       SELECT 1 FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = t.name AND column_name = 'actor_id'
     )`,
    [schemaName],
  );
  for (const row of missing.rows as Array<{ name: string }>) {
    await client.query(`ALTER TABLE ${schema}.${row.name} ADD COLUMN IF NOT EXISTS actor_id TEXT`);
  }
  await addScopeSeq(client, schemaName);
}

/**
 * Schemas made when seqs were store-wide get per-scope seqs. Every existing entry keeps its old
 * seq as its scope seq and every scope then existing continues from the store's highest seq
 * (the recorded base), so a cursor a client holds still means "everything up to here": it
 * resumes without loss or resync. Scopes created later count from 1.
 */
async function addScopeSeq(client: PgPoolClient, schemaName: string): Promise<void> {
  const schema = `"${schemaName}"`;
  const present = await client.query(
    `SELECT 1 FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = 'sync_oplog' AND column_name = 'scope_seq'`,
    [schemaName],
  );
  if (present.rows.length === 0) {
    await client.query(`ALTER TABLE ${schema}.sync_oplog ADD COLUMN scope_seq BIGINT`);
    await client.query(`UPDATE ${schema}.sync_oplog SET scope_seq = seq`);
    await client.query(`ALTER TABLE ${schema}.sync_oplog ALTER COLUMN scope_seq SET NOT NULL`);
    const pruned = `COALESCE((SELECT value FROM ${schema}.sync_meta WHERE key = 'pruned_through_seq'), 0)`;
    await client.query(
      `WITH base AS (
         SELECT GREATEST(COALESCE((SELECT MAX(seq) FROM ${schema}.sync_oplog), 0), ${pruned}) AS seq
       ), scoped AS (
         INSERT INTO ${schema}.sync_scopes (scope, last_seq, pruned_through)
         SELECT scope, (SELECT seq FROM base), ${pruned}
         FROM (SELECT scope FROM ${schema}.sync_oplog UNION SELECT scope FROM ${schema}.sync_documents) AS known
         ON CONFLICT (scope) DO NOTHING
       )
       INSERT INTO ${schema}.sync_meta (key, value) SELECT 'scope_seq_base', seq FROM base
       ON CONFLICT (key) DO NOTHING`,
    );
    await client.query(`DROP INDEX IF EXISTS ${schema}.sync_oplog_by_scope`);
  }
  await client.query(
    `CREATE UNIQUE INDEX IF NOT EXISTS sync_oplog_by_scope_seq ON ${schema}.sync_oplog (scope, scope_seq)`,
  );
}
