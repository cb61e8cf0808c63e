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
import { planBatch } from './plan.js';
import { type BatchTarget, documentLocks, readBatchState, writeBatch } from './postgres-batch.js';
import { listenForCommits } from './postgres-listen.js';
import { pullEncodedPage, pullPage } from './postgres-pull.js';
import { migrate, statementsOf, toDocument } from './postgres-schema.js';
import { openPostgresSnapshot } from './postgres-snapshot.js';
import type {
  ApplyBatchInput,
  ApplyBatchOutcome,
  Decide,
  DocumentSnapshot,
  DocumentStore,
  EncodedPullPage,
  PullPage,
  PullQuery,
  RetentionState,
  SnapshotQuery,
  SqlTransaction,
  StoreChange,
} from './types.js';

type Pool = PgPool;
type PoolClient = PgPoolClient;
// Types only, erased from the build: `pg` is an optional peer loaded on demand.
type Client = import('pg').Client;

/** `connectionString` or `pool` (borrowed, never ended), and the `schema` (default `keepsync`). */
export interface PostgresDocumentStoreOptions extends PgConnectionOptions {
  /**
   * Send pushes and pulls as named prepared statements (about 10% faster). Turn off behind a
   * pooler that cannot keep them: PgBouncer in transaction mode before 1.21, or without
   * `max_prepared_statements`.
   * @default true
   */
  preparedStatements?: boolean | undefined;
}

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
  return new PostgresDocumentStore(
    pg,
    pool,
    ownsPool,
    schemaName,
    options.preparedStatements ?? true,
  );
}

class PostgresDocumentStore implements DocumentStore {
  readonly dialect = 'postgres' as const;
  readonly #pg: Pg;
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #s: string;
  readonly #target: BatchTarget;
  readonly #listeners = new Set<Client>();
  #closed = false;

  constructor(pg: Pg, pool: Pool, ownsPool: boolean, schemaName: string, prepare: boolean) {
    this.#pg = pg;
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#s = `"${schemaName}"`;
    this.#target = {
      schema: this.#s,
      channel: `keepsync_sync_${schemaName}`.slice(0, 63),
      oplogLock: lockKey(`keepsync:sync-oplog:${schemaName}`),
      statement: statementsOf(prepare),
    };
  }

  async applyBatch<C extends StoreChange>(
    input: ApplyBatchInput<C>,
    decide: Decide<C>,
  ): Promise<ApplyBatchOutcome> {
    const locks = documentLocks(this.#pg.escapeLiteral, input);
    return this.#transactionOn(input.transaction, locks, async (client) => {
      const { current, replays } = await readBatchState(client, this.#target, input);
      const plan = planBatch(input, current, replays, decide, Date.now());
      if (plan.abortedAt >= 0) {
        return {
          rollback: true,
          value: { results: plan.results, abortedAt: plan.abortedAt, lastSeq: null },
        };
      }
      const lastSeq = await writeBatch(client, this.#target, input, plan);
      return { rollback: false, value: { results: plan.results, abortedAt: -1, lastSeq } };
    });
  }

  pull(query: PullQuery): Promise<PullPage> {
    return pullPage(this.#pool, this.#target, query);
  }

  pullEncoded(query: PullQuery): Promise<EncodedPullPage> {
    return pullEncodedPage(this.#pool, this.#target, query);
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
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.#target.oplogLock]);
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
      { pg: this.#pg, pool: this.#pool, channel: this.#target.channel, listeners: this.#listeners },
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
  /** Runs `work` after `firstStatements`, in a transaction of its own or the caller's. */
  async #transactionOn<T>(
    external: SqlTransaction | undefined,
    firstStatements: string,
    work: (client: PoolClient) => Promise<{ rollback: boolean; value: T }>,
  ): Promise<T> {
    if (!external) return this.#transaction(work, firstStatements);
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
      await client.query(firstStatements);
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
    firstStatements?: string,
  ): Promise<T> {
    if (this.#closed) throw new KeepsyncError('STORE_FAILED', 'The sync store is closed');
    const outcome = await pgTransaction(
      this.#pool,
      work,
      (result) => !result.rollback,
      firstStatements,
    );
    return outcome.value;
  }
}
