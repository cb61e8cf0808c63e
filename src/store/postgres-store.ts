import { createHash } from 'node:crypto';
import { KeepsyncError, parseCursor, serializeCursor } from '../model/index.js';
import { createSecretBox, type SecretBox } from '../net/index.js';
import { STORE_HANDLE, type StoreHandle } from './handle.js';
import { pendingMigrations } from './migrations.js';
import { connectPg, type PgConnectionOptions, type PgPool, pgTransaction } from './pg.js';
import { postgresLeases } from './postgres-leases.js';
import { postgresMigrations } from './postgres-schema.js';
import {
  mergeRequestedKeys,
  parseJsonColumn,
  type Row,
  toDeadLetter,
  toLink,
  toRun,
  toUnit,
  unitColumns,
} from './rows.js';
import { resolveSecretKey, type SecretKeyOptions } from './secret-key.js';
import {
  type CursorState,
  type DeadLetter,
  type DeadLetterWrite,
  emptyStats,
  type LeaseGrant,
  type LeaseToken,
  type Link,
  type LinkWrite,
  type PageCommit,
  type RunFilter,
  type RunRow,
  type RunStats,
  type RunStatus,
  type RunTrigger,
  type Store,
  type UnitState,
  type UnitStatePatch,
} from './types.js';

type Pool = PgPool;

/**
 * `connectionString` (e.g. `postgres://keepsync:secret@db:5432/app`) or `pool`, and the
 * `schema` (default `keepsync`) so several deployments can share one database.
 */
export interface PostgresStoreOptions extends SecretKeyOptions, PgConnectionOptions {}

/**
 * The shared backend: the same contract as the SQLite store on a PostgreSQL database, so
 * several processes or machines can run one set of pipelines. `pg` is an optional peer,
 * loaded only here.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  // Resolved before connecting, so a malformed key fails fast and leaves no pool behind.
  const key = resolveSecretKey({ secretKey: options.secretKey, keyFile: options.keyFile });
  const { pool, ownsPool, schemaName } = await connectPg(options, 'the PostgreSQL store');
  try {
    await migrate(pool, schemaName);
  } catch (error) {
    if (ownsPool) await pool.end();
    throw error;
  }
  return new PostgresStore(pool, ownsPool, `"${schemaName}"`, key ? createSecretBox(key) : null);
}

async function migrate(pool: Pool, schemaName: string): Promise<void> {
  const schema = `"${schemaName}"`;
  await pgTransaction(pool, async (client) => {
    // Processes opening the same schema at once queue here, so each version runs exactly once.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schemaName)]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      schemaName,
    ]);
    // Checked first: a user without CREATE on the database can still use a prepared schema.
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.keepsync_migrations (id TEXT PRIMARY KEY, applied_ms BIGINT NOT NULL)`,
    );
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM ${schema}.keepsync_migrations`,
    );
    const applied = new Set(rows.map((row) => row.id));
    for (const migration of pendingMigrations(postgresMigrations, applied)) {
      await client.query(migration.sql(schema));
      await client.query(
        `INSERT INTO ${schema}.keepsync_migrations (id, applied_ms) VALUES ($1, $2)`,
        [migration.id, Date.now()],
      );
    }
  });
}

/** A stable 64-bit advisory lock id per schema, so deployments on other schemas never wait. */
function migrationLockKey(schemaName: string): string {
  return createHash('sha256')
    .update(`keepsync:migrate:${schemaName}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #box: SecretBox | null;
  /** Quoted, schema-qualified table names. */
  readonly #t: Record<'links' | 'cursors' | 'runs' | 'deadLetters' | 'units' | 'secrets', string>;
  readonly #leases: ReturnType<typeof postgresLeases>;
  readonly [STORE_HANDLE]: StoreHandle;
  #closed = false;

  constructor(pool: Pool, ownsPool: boolean, schema: string, box: SecretBox | null) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#box = box;
    this.#t = {
      links: `${schema}.links`,
      cursors: `${schema}.cursors`,
      runs: `${schema}.runs`,
      deadLetters: `${schema}.dead_letters`,
      units: `${schema}.units`,
      secrets: `${schema}.secrets`,
    };
    this.#leases = postgresLeases(pool, this.#t);
    this[STORE_HANDLE] = {
      dialect: 'postgres',
      pool,
      schema,
      proveLease: (client, pipeline, unit, lease) =>
        this.#leases.check(client, pipeline, unit, lease),
    };
  }

  async #query(text: string, values?: unknown[]): Promise<Row[]> {
    return (await this.#pool.query(text, values)).rows as Row[];
  }

  async getLinks(pipeline: string, keys: readonly string[]): Promise<Map<string, Link>> {
    const links = new Map<string, Link>();
    if (keys.length === 0) return links;
    const rows = await this.#query(
      `SELECT key, dest_id, hash, source_updated_ms FROM ${this.#t.links}
       WHERE pipeline = $1 AND key = ANY($2::text[])`,
      [pipeline, keys],
    );
    for (const row of rows) links.set(row.key as string, toLink(row));
    return links;
  }

  async countLinks(pipeline: string, unit?: string): Promise<number> {
    const rows = await this.#query(
      `SELECT COUNT(*) AS n FROM ${this.#t.links}
       WHERE pipeline = $1 AND ($2::text IS NULL OR unit = $2)`,
      [pipeline, unit ?? null],
    );
    return Number(rows[0]!.n);
  }

  async listUnseenLinks(
    pipeline: string,
    unit: string,
    passId: string,
    limit: number,
  ): Promise<Link[]> {
    const rows = await this.#query(
      `SELECT key, dest_id, hash, source_updated_ms FROM ${this.#t.links}
       WHERE pipeline = $1 AND unit = $2 AND (seen_pass IS NULL OR seen_pass <> $3)
         AND hash <> 'archived'
       ORDER BY key LIMIT $4`,
      [pipeline, unit, passId, limit],
    );
    return rows.map(toLink);
  }

  async deleteLinks(pipeline: string): Promise<number> {
    const result = await this.#pool.query(`DELETE FROM ${this.#t.links} WHERE pipeline = $1`, [
      pipeline,
    ]);
    return result.rowCount ?? 0;
  }

  async getCursor(pipeline: string, unit: string): Promise<CursorState | null> {
    const rows = await this.#query(
      `SELECT cursor, pass_id FROM ${this.#t.cursors} WHERE pipeline = $1 AND unit = $2`,
      [pipeline, unit],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      cursor: parseCursor(row.cursor as string | null, `pipeline ${pipeline} unit ${unit}`),
      passId: (row.pass_id as string | null) ?? null,
    };
  }

  async forgetPipeline(pipeline: string): Promise<number> {
    let units = 0;
    await pgTransaction(this.#pool, async (client) => {
      for (const table of [this.#t.links, this.#t.cursors, this.#t.runs, this.#t.deadLetters]) {
        await client.query(`DELETE FROM ${table} WHERE pipeline = $1`, [pipeline]);
      }
      const result = await client.query(`DELETE FROM ${this.#t.units} WHERE pipeline = $1`, [
        pipeline,
      ]);
      units = result.rowCount ?? 0;
    });
    return units;
  }

  async resetCursors(pipeline: string): Promise<number> {
    const result = await this.#pool.query(`DELETE FROM ${this.#t.cursors} WHERE pipeline = $1`, [
      pipeline,
    ]);
    return result.rowCount ?? 0;
  }

  /** One transaction, and one statement per kind of change however large the page is. */
  async commitPage(commit: PageCommit): Promise<void> {
    const t = this.#t;
    const { pipeline, unit } = commit;
    const now = Date.now();
    await pgTransaction(this.#pool, async (client) => {
      if (commit.lease) await this.#leases.check(client, pipeline, unit, commit.lease);
      if (commit.cursor) {
        await client.query(
          `INSERT INTO ${t.cursors} (pipeline, unit, cursor, pass_id, updated_ms)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (pipeline, unit) DO UPDATE SET cursor = EXCLUDED.cursor,
             pass_id = EXCLUDED.pass_id, updated_ms = EXCLUDED.updated_ms`,
          [pipeline, unit, serializeCursor(commit.cursor.cursor), commit.cursor.passId, now],
        );
      }
      const links = lastWritePerKey(commit.links);
      if (links.length > 0) {
        await client.query(
          `INSERT INTO ${t.links} (pipeline, key, unit, dest_id, hash, source_updated_ms, seen_pass)
           SELECT $1, k, $2, d, h, s, p
           FROM UNNEST($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS l(k, d, h, s, p)
           ON CONFLICT (pipeline, key) DO UPDATE SET unit = EXCLUDED.unit,
             dest_id = EXCLUDED.dest_id, hash = EXCLUDED.hash,
             source_updated_ms = EXCLUDED.source_updated_ms,
             seen_pass = COALESCE(EXCLUDED.seen_pass, ${t.links}.seen_pass)`,
          [
            pipeline,
            unit,
            links.map((link) => link.key),
            links.map((link) => link.destId),
            links.map((link) => link.hash),
            links.map((link) => link.sourceUpdatedMs),
            links.map((link) => link.passId ?? null),
          ],
        );
      }
      if (commit.seen && commit.seen.keys.length > 0) {
        await client.query(
          `UPDATE ${t.links} SET seen_pass = $1 WHERE pipeline = $2 AND key = ANY($3::text[])`,
          [commit.seen.passId, pipeline, commit.seen.keys],
        );
      }
      if (commit.removedLinks.length > 0) {
        await client.query(`DELETE FROM ${t.links} WHERE pipeline = $1 AND key = ANY($2::text[])`, [
          pipeline,
          commit.removedLinks,
        ]);
      }
      if (commit.resolvedDeadLetters.length > 0) {
        await client.query(
          `DELETE FROM ${t.deadLetters} WHERE pipeline = $1 AND key = ANY($2::text[])`,
          [pipeline, commit.resolvedDeadLetters],
        );
      }
      const letters = foldDeadLetters(commit.deadLetters);
      if (letters.length > 0) {
        await client.query(
          `INSERT INTO ${t.deadLetters}
             (pipeline, key, unit, error, record, attempts, first_failed_ms, last_failed_ms)
           SELECT $1, k, $2, e, r, n, $3, $3
           FROM UNNEST($4::text[], $5::text[], $6::text[], $7::int[]) AS d(k, e, r, n)
           ON CONFLICT (pipeline, key) DO UPDATE SET unit = EXCLUDED.unit,
             error = EXCLUDED.error,
             record = COALESCE(EXCLUDED.record, ${t.deadLetters}.record),
             attempts = ${t.deadLetters}.attempts + EXCLUDED.attempts,
             last_failed_ms = EXCLUDED.last_failed_ms`,
          [
            pipeline,
            unit,
            now,
            letters.map((letter) => letter.key),
            letters.map((letter) => letter.error),
            letters.map((letter) => letter.record),
            letters.map((letter) => letter.count),
          ],
        );
      }
      await client.query(`UPDATE ${t.runs} SET stats = $1 WHERE id = $2`, [
        JSON.stringify(commit.stats),
        commit.runId,
      ]);
    });
  }

  async startRun(pipeline: string, unit: string, trigger: RunTrigger): Promise<number> {
    const rows = await this.#query(
      `INSERT INTO ${this.#t.runs} (pipeline, unit, trigger, status, started_ms, stats)
       VALUES ($1, $2, $3, 'running', $4, $5) RETURNING id`,
      [pipeline, unit, trigger, Date.now(), JSON.stringify(emptyStats())],
    );
    return Number(rows[0]!.id);
  }

  async finishRun(
    runId: number,
    outcome: { status: RunStatus; stats: RunStats; error: string | null },
  ): Promise<void> {
    await this.#pool.query(
      `UPDATE ${this.#t.runs} SET status = $1, finished_ms = $2, stats = $3, error = $4
       WHERE id = $5`,
      [outcome.status, Date.now(), JSON.stringify(outcome.stats), outcome.error, runId],
    );
  }

  async getRun(runId: number): Promise<RunRow | null> {
    const rows = await this.#query(`SELECT * FROM ${this.#t.runs} WHERE id = $1`, [runId]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async listRuns(filter: RunFilter): Promise<RunRow[]> {
    const rows = await this.#query(
      `SELECT * FROM ${this.#t.runs}
       WHERE ($1::text IS NULL OR pipeline = $1) AND ($2::text IS NULL OR unit = $2)
       AND ($4::bigint IS NULL OR id > $4)
       ORDER BY CASE WHEN $4::bigint IS NULL THEN -id ELSE id END LIMIT $3`,
      [filter.pipeline ?? null, filter.unit ?? null, filter.limit, filter.afterId ?? null],
    );
    return rows.map(toRun);
  }

  async listDeadLetters(filter: { pipeline?: string; unit?: string }): Promise<DeadLetter[]> {
    const rows = await this.#query(
      `SELECT * FROM ${this.#t.deadLetters}
       WHERE ($1::text IS NULL OR pipeline = $1) AND ($2::text IS NULL OR unit = $2)
       ORDER BY pipeline, unit, key`,
      [filter.pipeline ?? null, filter.unit ?? null],
    );
    return rows.map(toDeadLetter);
  }

  async ensureUnit(pipeline: string, unit: string, nextRunAt: Date): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#t.units} (pipeline, unit, next_run_ms) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [pipeline, unit, nextRunAt.getTime()],
    );
  }

  async getUnit(pipeline: string, unit: string): Promise<UnitState | null> {
    const rows = await this.#query(
      `SELECT * FROM ${this.#t.units} WHERE pipeline = $1 AND unit = $2`,
      [pipeline, unit],
    );
    return rows[0] ? toUnit(rows[0]) : null;
  }

  async listUnits(pipeline?: string): Promise<UnitState[]> {
    const rows = await this.#query(
      `SELECT * FROM ${this.#t.units} WHERE ($1::text IS NULL OR pipeline = $1)
       ORDER BY pipeline, unit`,
      [pipeline ?? null],
    );
    return rows.map(toUnit);
  }

  async updateUnit(pipeline: string, unit: string, patch: UnitStatePatch): Promise<void> {
    const columns = unitColumns(patch);
    if (columns.length === 0) return;
    // Column names come from unitColumns' fixed list, never from the caller. The 1/0 flags
    // it produces are valid BOOLEAN input.
    const assignments = columns.map(([column], index) => `${column} = $${index + 1}`).join(', ');
    const n = columns.length;
    const result = await this.#pool.query(
      `UPDATE ${this.#t.units} SET ${assignments} WHERE pipeline = $${n + 1} AND unit = $${n + 2}`,
      [...columns.map(([, value]) => value), pipeline, unit],
    );
    if (result.rowCount === 0) throw unknownUnit(pipeline, unit);
  }

  async requestSync(pipeline: string, unit: string, keys: readonly string[] | null): Promise<void> {
    const units = this.#t.units;
    await pgTransaction(this.#pool, async (client) => {
      // The row lock makes concurrent requests merge one after the other, losing no keys.
      const { rows } = await client.query<Row>(
        `SELECT sync_requested, requested_keys FROM ${units}
         WHERE pipeline = $1 AND unit = $2 FOR UPDATE`,
        [pipeline, unit],
      );
      const row = rows[0];
      if (!row) throw unknownUnit(pipeline, unit);
      const merged = mergeRequestedKeys(
        row.sync_requested === true,
        row.requested_keys === null ? null : parseJsonColumn<string[]>(row.requested_keys),
        keys,
      );
      await client.query(
        `UPDATE ${units} SET sync_requested = TRUE, requested_keys = $1
         WHERE pipeline = $2 AND unit = $3`,
        [merged === null ? null : JSON.stringify(merged), pipeline, unit],
      );
    });
  }

  async acquireLease(
    pipeline: string,
    unit: string,
    owner: string,
    ttlMs: number,
    now: Date,
  ): Promise<LeaseGrant | null> {
    return this.#leases.acquire(pipeline, unit, owner, ttlMs, now.getTime());
  }

  async renewLease(
    pipeline: string,
    unit: string,
    lease: LeaseToken,
    ttlMs: number,
    now: Date,
  ): Promise<boolean> {
    return this.#leases.renew(pipeline, unit, lease, ttlMs, now.getTime());
  }

  async releaseLease(pipeline: string, unit: string, owner: string): Promise<void> {
    await this.#leases.release(pipeline, unit, owner);
  }

  async putSecret(name: string, value: string): Promise<void> {
    const sealed = this.#requireBox().seal(value, name);
    await this.#pool.query(
      `INSERT INTO ${this.#t.secrets} (name, sealed, updated_ms) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET sealed = EXCLUDED.sealed, updated_ms = EXCLUDED.updated_ms`,
      [name, sealed, Date.now()],
    );
  }

  async getSecret(name: string): Promise<string | null> {
    const rows = await this.#query(`SELECT sealed FROM ${this.#t.secrets} WHERE name = $1`, [name]);
    return rows[0] ? this.#requireBox().open(rows[0].sealed as string, name) : null;
  }

  async deleteSecret(name: string): Promise<void> {
    await this.#pool.query(`DELETE FROM ${this.#t.secrets} WHERE name = $1`, [name]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.#pool.end();
  }

  #requireBox(): SecretBox {
    if (!this.#box) {
      throw new KeepsyncError(
        'SECRET_INVALID',
        'This store has no secret key: set KEEPSYNC_SECRET_KEY or pass `secretKey`',
      );
    }
    return this.#box;
  }
}

function unknownUnit(pipeline: string, unit: string): KeepsyncError {
  return new KeepsyncError(
    'NOT_FOUND',
    `Unit ${unit} of pipeline ${pipeline} is not known to the store`,
  );
}

/**
 * One row per key, the last write winning, as the SQLite store's row-by-row upserts end up:
 * a single INSERT ... ON CONFLICT cannot touch the same row twice.
 */
function lastWritePerKey(links: readonly LinkWrite[]): LinkWrite[] {
  if (links.length < 2) return [...links];
  const byKey = new Map<string, LinkWrite>();
  for (const link of links) {
    byKey.delete(link.key);
    byKey.set(link.key, link);
  }
  return [...byKey.values()];
}

interface FoldedDeadLetter extends DeadLetterWrite {
  /** Failures of this key in the page; each one counts as an attempt. */
  readonly count: number;
}

/** One row per key with the same outcome as upserting the page's letters one by one. */
function foldDeadLetters(letters: readonly DeadLetterWrite[]): FoldedDeadLetter[] {
  const byKey = new Map<string, FoldedDeadLetter>();
  for (const letter of letters) {
    const previous = byKey.get(letter.key);
    byKey.delete(letter.key);
    byKey.set(letter.key, {
      key: letter.key,
      error: letter.error,
      record: letter.record ?? previous?.record ?? null,
      count: (previous?.count ?? 0) + 1,
    });
  }
  return [...byKey.values()];
}
