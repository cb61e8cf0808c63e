import { createHash } from 'node:crypto';
import { KeepsyncError } from '../../model/index.js';
import {
  connectPg,
  loadPg,
  type Pg,
  type PgConnectionOptions,
  type PgPool,
  type PgPoolClient,
  pgTransaction,
} from '../../store/index.js';
import { docKey, planBatch } from './plan.js';
import { listenForCommits } from './postgres-listen.js';
import { migrate, toDocument, toEntry } from './postgres-schema.js';
import { openPostgresSnapshot } from './postgres-snapshot.js';
import type {
  ApplyBatchInput,
  ApplyBatchOutcome,
  ChangeResult,
  Decide,
  DocumentSnapshot,
  DocumentStore,
  PullPage,
  PullQuery,
  RetentionState,
  SnapshotQuery,
  SqlTransaction,
  StoreChange,
  StoredDocument,
} from './types.js';

type Pool = PgPool;
type PoolClient = PgPoolClient;
// Types only, erased from the build: `pg` is an optional peer loaded on demand.
type Client = import('pg').Client;

/** `connectionString` or `pool` (borrowed, never ended), and the `schema` (default `keepsync`). */
export interface PostgresDocumentStoreOptions extends PgConnectionOptions {}

const PURPOSE = 'the PostgreSQL sync store';

function lockKey(text: string): string {
  return createHash('sha256').update(text).digest().readBigInt64BE(0).toString();
}

/**
 * The shared document store: the same contract on PostgreSQL, for several server processes.
 * Writers lock the documents they touch, then take one store-wide lock just before appending
 * to the oplog and hold it to commit, so oplog seqs become visible strictly in order and a
 * reader's `seq > since` never skips a later-committing entry. Commits are announced with
 * NOTIFY (scope and seq only); listeners read the oplog themselves.
 */
export async function openPostgresDocumentStore(
  options: PostgresDocumentStoreOptions,
): Promise<DocumentStore> {
  const pg = await loadPg(PURPOSE);
  const { pool, ownsPool, schemaName } = await connectPg(options, PURPOSE, 10);
  try {
    await pgTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [
        lockKey(`keepsync:sync-migrate:${schemaName}`),
      ]);
      await migrate(client, schemaName);
    });
  } catch (error) {
    if (ownsPool) await pool.end();
    throw error;
  }
  return new PostgresDocumentStore(pg, pool, ownsPool, schemaName);
}

class PostgresDocumentStore implements DocumentStore {
  readonly dialect = 'postgres' as const;
  readonly #pg: Pg;
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #s: string;
  readonly #channel: string;
  readonly #oplogLock: string;
  readonly #listeners = new Set<Client>();
  #closed = false;

  constructor(pg: Pg, pool: Pool, ownsPool: boolean, schemaName: string) {
    this.#pg = pg;
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#s = `"${schemaName}"`;
    this.#channel = `keepsync_sync_${schemaName}`.slice(0, 63);
    this.#oplogLock = lockKey(`keepsync:sync-oplog:${schemaName}`);
  }

  async applyBatch<C extends StoreChange>(
    input: ApplyBatchInput<C>,
    decide: Decide<C>,
  ): Promise<ApplyBatchOutcome> {
    const s = this.#s;
    return this.#transactionOn(input.transaction, async (client) => {
      const collections = input.changes.map((change) => change.collection);
      const docIds = input.changes.map((change) => change.docId);
      const lockKeys = [
        ...new Set(
          input.changes.map(
            (change) => `${input.scope}\u001f${change.collection}\u001f${change.docId}`,
          ),
        ),
      ];
      // Per-document locks (sorted, so two batches never deadlock) also cover documents that
      // do not exist yet, which row locks cannot.
      await client.query(
        `SELECT pg_advisory_xact_lock(h) FROM (
           SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1
         ) AS keys`,
        [lockKeys],
      );
      const docs = await client.query(
        `SELECT d.* FROM ${s}.sync_documents d
         JOIN unnest($2::text[], $3::text[]) AS w(collection, doc_id)
           ON d.collection = w.collection AND d.doc_id = w.doc_id
         WHERE d.scope = $1`,
        [input.scope, collections, docIds],
      );
      const current = new Map<string, StoredDocument | null>();
      for (const row of docs.rows) {
        const doc = toDocument(row);
        current.set(docKey(doc.collection, doc.docId), doc);
      }
      const keys = input.changes
        .map((change) => change.idempotencyKey)
        .filter((key): key is string => key !== null);
      const replays = new Map<string, ChangeResult>();
      if (keys.length > 0) {
        const found = await client.query(
          `SELECT key, result FROM ${s}.sync_idempotency
           WHERE scope = $1 AND client_id = $2 AND key = ANY($3::text[])`,
          [input.scope, input.clientId, keys],
        );
        for (const row of found.rows) replays.set(row.key, JSON.parse(row.result));
      }
      const plan = planBatch(input, current, replays, decide, Date.now());
      if (plan.abortedAt >= 0) {
        return {
          rollback: true,
          value: { results: plan.results, abortedAt: plan.abortedAt, lastSeq: null },
        };
      }
      const docsOut = [...plan.documents.values()];
      if (docsOut.length > 0) {
        await client.query(
          `INSERT INTO ${s}.sync_documents (scope, collection, doc_id, data, version, edit_version, deleted, updated_ms, actor_id)
           SELECT $1, *, $9::text FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::bigint[])
           ON CONFLICT (scope, collection, doc_id) DO UPDATE SET
             data = excluded.data, version = excluded.version, edit_version = excluded.edit_version,
             deleted = excluded.deleted, updated_ms = excluded.updated_ms, actor_id = excluded.actor_id`,
          [
            input.scope,
            docsOut.map((doc) => doc.collection),
            docsOut.map((doc) => doc.docId),
            docsOut.map((doc) => doc.data),
            docsOut.map((doc) => doc.version),
            docsOut.map((doc) => doc.editVersion),
            docsOut.map((doc) => doc.deleted),
            docsOut.map((doc) => doc.updatedMs),
            input.actorId,
          ],
        );
      }
      let lastSeq: number | null = null;
      if (plan.oplog.length > 0) {
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.#oplogLock]);
        // The scope's seqs, under the oplog lock: the row stays locked to commit, so a scope's
        // seqs commit in order and without gaps however many processes write.
        const allocated = await client.query(
          `INSERT INTO ${s}.sync_scopes (scope, last_seq, pruned_through) VALUES ($1, $2, 0)
           ON CONFLICT (scope) DO UPDATE SET last_seq = ${s}.sync_scopes.last_seq + excluded.last_seq
           RETURNING last_seq`,
          [input.scope, plan.oplog.length],
        );
        lastSeq = Number(allocated.rows[0].last_seq);
        await client.query(
          `INSERT INTO ${s}.sync_oplog (scope, scope_seq, collection, doc_id, op, version, data, client_id, change_id, created_ms, actor_id)
           SELECT $1, $11::bigint + n, c, d, o, v, da, ci, ch, cr, $10::text
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
             WITH ORDINALITY AS t(c, d, o, v, da, ci, ch, cr, n)
           ORDER BY n`,
          [
            input.scope,
            plan.oplog.map((entry) => entry.collection),
            plan.oplog.map((entry) => entry.docId),
            plan.oplog.map((entry) => entry.operation),
            plan.oplog.map((entry) => entry.version),
            plan.oplog.map((entry) => entry.data),
            plan.oplog.map((entry) => entry.clientId),
            plan.oplog.map((entry) => entry.changeId),
            plan.oplog.map((entry) => entry.createdMs),
            input.actorId,
            lastSeq - plan.oplog.length,
          ],
        );
        await client.query('SELECT pg_notify($1, $2)', [
          this.#channel,
          JSON.stringify({ s: input.scope, q: lastSeq }),
        ]);
      }
      if (plan.idempotency.length > 0) {
        const now = Date.now();
        await client.query(
          `INSERT INTO ${s}.sync_idempotency (scope, client_id, key, result, created_ms)
           SELECT $1, $2, k, r, $5 FROM unnest($3::text[], $4::text[]) AS t(k, r)
           ON CONFLICT DO NOTHING`,
          [
            input.scope,
            input.clientId,
            plan.idempotency.map((entry) => entry.key),
            plan.idempotency.map((entry) => JSON.stringify(entry.result)),
            now,
          ],
        );
      }
      return { rollback: false, value: { results: plan.results, abortedAt: -1, lastSeq } };
    });
  }

  async pull(query: PullQuery): Promise<PullPage> {
    const s = this.#s;
    const top = await this.lastSeq(query.scope);
    const params: unknown[] = [query.scope, query.afterSeq, top, query.limit];
    let filter = '';
    if (query.collections) {
      params.push(query.collections);
      filter = 'AND collection = ANY($5::text[])';
    }
    const { rows } = await this.#pool.query(
      `SELECT * FROM ${s}.sync_oplog WHERE scope = $1 AND scope_seq > $2 AND scope_seq <= $3 ${filter}
       ORDER BY scope_seq LIMIT $4`,
      params,
    );
    const entries = rows.map(toEntry);
    const full = entries.length === query.limit;
    const lastSeq = full ? entries[entries.length - 1]!.seq : Math.max(top, query.afterSeq);
    return { entries, lastSeq, hasMore: full && lastSeq < top };
  }

  async seqAtVersion(scope: string, version: string): Promise<number> {
    const { rows } = await this.#pool.query(
      `SELECT MAX(scope_seq) AS seq FROM ${this.#s}.sync_oplog WHERE scope = $1 AND version <= $2`,
      [scope, version],
    );
    return rows[0].seq === null ? 0 : Number(rows[0].seq);
  }

  async lastSeq(scope: string): Promise<number> {
    const { rows } = await this.#pool.query(
      `SELECT last_seq FROM ${this.#s}.sync_scopes WHERE scope = $1`,
      [scope],
    );
    return rows[0] ? Number(rows[0].last_seq) : 0;
  }

  async commitMark(): Promise<number> {
    const { rows } = await this.#pool.query(
      `SELECT COALESCE(MAX(seq), 0) AS seq FROM ${this.#s}.sync_oplog`,
    );
    return Number(rows[0].seq);
  }

  async getDocument(scope: string, collection: string, docId: string) {
    const { rows } = await this.#pool.query(
      `SELECT * FROM ${this.#s}.sync_documents WHERE scope = $1 AND collection = $2 AND doc_id = $3`,
      [scope, collection, docId],
    );
    return rows[0] ? toDocument(rows[0]) : null;
  }

  async listCollections(scope: string): Promise<string[]> {
    const { rows } = await this.#pool.query(
      `SELECT DISTINCT collection FROM ${this.#s}.sync_documents WHERE scope = $1 ORDER BY collection`,
      [scope],
    );
    return rows.map((row: { collection: string }) => row.collection);
  }

  async openSnapshot(query: SnapshotQuery): Promise<DocumentSnapshot> {
    return openPostgresSnapshot(this.#pool, this.#s, query);
  }

  async retention(scope: string): Promise<RetentionState> {
    const s = this.#s;
    const { rows } = await this.#pool.query(
      `SELECT COALESCE((SELECT pruned_through FROM ${s}.sync_scopes WHERE scope = $1), 0) AS through,
         COALESCE((SELECT value FROM ${s}.sync_meta WHERE key = 'pruned_before_ms'), 0) AS before`,
      [scope],
    );
    return { prunedThroughSeq: Number(rows[0].through), prunedBeforeMs: Number(rows[0].before) };
  }

  async prune(beforeMs: number): Promise<{ removed: number; prunedBeforeMs: number }> {
    const s = this.#s;
    const removed = await this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.#oplogLock]);
      // Per scope, a prefix of its seqs only, so "pruned through seq N" stays exact even if
      // clocks made created_ms non-monotonic.
      const pruned = await client.query(
        `WITH tops AS (
           SELECT scope, MAX(scope_seq) AS top FROM ${s}.sync_oplog WHERE created_ms < $1 GROUP BY scope
         ), marked AS (
           UPDATE ${s}.sync_scopes AS sc SET pruned_through = GREATEST(sc.pruned_through, tops.top)
           FROM tops WHERE sc.scope = tops.scope
         ), gone AS (
           DELETE FROM ${s}.sync_oplog AS o USING tops
           WHERE o.scope = tops.scope AND o.scope_seq <= tops.top RETURNING 1
         )
         SELECT COUNT(*)::bigint AS n FROM gone`,
        [beforeMs],
      );
      await client.query(
        `INSERT INTO ${s}.sync_meta (key, value) VALUES ('pruned_before_ms', $1)
         ON CONFLICT (key) DO UPDATE SET value = GREATEST(${s}.sync_meta.value, excluded.value)`,
        [beforeMs],
      );
      await client.query(`DELETE FROM ${s}.sync_idempotency WHERE created_ms < $1`, [beforeMs]);
      return { rollback: false, value: Number(pruned.rows[0].n) };
    });
    return { removed, prunedBeforeMs: beforeMs };
  }

  async countOplog(): Promise<number> {
    const { rows } = await this.#pool.query(
      `SELECT COUNT(*)::bigint AS n FROM ${this.#s}.sync_oplog`,
    );
    return Number(rows[0].n);
  }

  listen(onCommit: (scope: string | null, seq: number) => void): Promise<() => Promise<void>> {
    return listenForCommits(
      { pg: this.#pg, pool: this.#pool, channel: this.#channel, listeners: this.#listeners },
      onCommit,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const client of this.#listeners) await client.end().catch(() => {});
    this.#listeners.clear();
    if (this.#ownsPool) await this.#pool.end();
  }

  /**
   * `work` in a transaction of its own, or inside the application's open one: there, in a
   * savepoint, so a failure here leaves the application's transaction usable, and the oplog
   * lock (taken by `work`) is held until the application commits, which keeps seqs visible in
   * order. The commit NOTIFY is PostgreSQL's to deliver, on commit only.
   */
  async #transactionOn<T>(
    external: SqlTransaction | undefined,
    work: (client: PoolClient) => Promise<{ rollback: boolean; value: T }>,
  ): Promise<T> {
    if (!external) return this.#transaction(work);
    if (this.#closed) throw new KeepsyncError('STORE_FAILED', 'The sync store is closed');
    const client = external as unknown as PoolClient;
    try {
      await client.query('SAVEPOINT keepsync_write');
    } catch (error) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected \`transaction\` to be a pg client inside an open transaction (after BEGIN): ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      const outcome = await work(client);
      await client.query(
        outcome.rollback
          ? 'ROLLBACK TO SAVEPOINT keepsync_write'
          : 'RELEASE SAVEPOINT keepsync_write',
      );
      return outcome.value;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT keepsync_write').catch(() => {});
      throw error;
    }
  }

  async #transaction<T>(
    work: (client: PoolClient) => Promise<{ rollback: boolean; value: T }>,
  ): Promise<T> {
    if (this.#closed) throw new KeepsyncError('STORE_FAILED', 'The sync store is closed');
    const outcome = await pgTransaction(this.#pool, work, (result) => !result.rollback);
    return outcome.value;
  }
}
