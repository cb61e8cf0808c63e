import { KeepsyncError, parseCursor } from '../model/index.js';
import { createSecretBox, type SecretBox } from '../net/index.js';
import { STORE_HANDLE, type StoreHandle } from './handle.js';
import { connectPg, type PgConnectionOptions, type PgPool, pgTransaction } from './pg.js';
import { postgresLeases } from './postgres-leases.js';
import { migratePostgres } from './postgres-migrate.js';
import { commitPostgresPage } from './postgres-page-commit.js';
import { postgresRuns } from './postgres-runs.js';
import { type PostgresTables, postgresTables } from './postgres-schema.js';
import { postgresUnits } from './postgres-units.js';
import { type Row, toLink } from './rows.js';
import {
  type RunOperations,
  RunUnitDelegation,
  type UnitOperations,
} from './run-unit-delegation.js';
import { resolveSecretKey, type SecretKeyOptions } from './secret-key.js';
import type { CursorState, LeaseGrant, LeaseToken, Link, PageCommit, Store } from './types.js';

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
    await migratePostgres(pool, schemaName);
  } catch (error) {
    if (ownsPool) await pool.end();
    throw error;
  }
  return new PostgresStore(pool, ownsPool, `"${schemaName}"`, key ? createSecretBox(key) : null);
}

class PostgresStore extends RunUnitDelegation implements Store {
  readonly dialect = 'postgres' as const;
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #box: SecretBox | null;
  readonly #t: PostgresTables;
  readonly #leases: ReturnType<typeof postgresLeases>;
  protected readonly units: UnitOperations;
  protected readonly runs: RunOperations;
  readonly [STORE_HANDLE]: StoreHandle;
  #closed = false;

  constructor(pool: Pool, ownsPool: boolean, schema: string, box: SecretBox | null) {
    super();
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#box = box;
    this.#t = postgresTables(schema);
    this.#leases = postgresLeases(pool, this.#t);
    this.units = postgresUnits(pool, this.#t);
    this.runs = postgresRuns(pool, this.#t);
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

  async getChangedLinks(
    pipeline: string,
    hashes: ReadonlyMap<string, string | null>,
  ): Promise<Map<string, Link | null>> {
    const answer = new Map<string, Link | null>();
    if (hashes.size === 0) return answer;
    // Only the keys that need work come back: an unchanged page returns no rows. Each key is a
    // primary-key probe (LATERAL ... LIMIT 1): joined plainly, statistics taken before a pipeline
    // grew made PostgreSQL hash all of its links for every page.
    const rows = await this.#query(
      `SELECT j.key, l.dest_id, l.hash, l.source_updated_ms
       FROM unnest($2::text[], $3::text[]) AS j(key, hash)
       LEFT JOIN LATERAL (
         SELECT key, dest_id, hash, source_updated_ms FROM ${this.#t.links}
         WHERE pipeline = $1 AND key = j.key LIMIT 1
       ) AS l ON true
       WHERE l.key IS NULL OR j.hash IS NULL OR l.hash <> j.hash`,
      [pipeline, [...hashes.keys()], [...hashes.values()]],
    );
    for (const row of rows)
      answer.set(row.key as string, row.dest_id === null ? null : toLink(row));
    return answer;
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

  async commitPage(commit: PageCommit): Promise<void> {
    await commitPostgresPage(this.#pool, this.#t, this.#leases.check, commit);
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
