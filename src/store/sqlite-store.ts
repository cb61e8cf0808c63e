import Database from 'better-sqlite3';
import { KeepsyncError, parseCursor } from '../model/index.js';
import { createSecretBox, type SecretBox } from '../net/index.js';
import { STORE_HANDLE, type StoreHandle } from './handle.js';
import { type Row, toLink } from './rows.js';
import {
  type RunOperations,
  RunUnitDelegation,
  type UnitOperations,
} from './run-unit-delegation.js';
import { resolveSecretKey, type SecretKeyOptions } from './secret-key.js';
import { type BusyWaitOptions, retryWhileBusy, SQLITE_SYNC_BUSY_MS } from './sqlite-busy.js';
import { type SqliteLeases, sqliteLeases } from './sqlite-leases.js';
import {
  type LinkComparer,
  type LinkComparerOptions,
  sqliteLinkComparer,
} from './sqlite-link-compare.js';
import { migrateSqlite } from './sqlite-migrate.js';
import { sqlitePageCommit } from './sqlite-page-commit.js';
import { sqliteRuns } from './sqlite-runs.js';
import { sqliteUnits } from './sqlite-units.js';
import type { CursorState, LeaseGrant, LeaseToken, Link, PageCommit, Store } from './types.js';

export interface SqliteStoreOptions extends SecretKeyOptions {
  /** Path of the database file; `:memory:` for a throwaway store. */
  path: string;
  /**
   * How long a call waits for another process's lock before failing. The wait is
   * asynchronous (retries with backoff), so timers and signals keep running meanwhile.
   * @default 30000
   */
  busyTimeoutMs?: number;
  /**
   * Keys compared with their links on the main thread before that query moves to a worker
   * thread with its own read-only connection, where it overlaps the hashing of the next page.
   * Infinity keeps it on the main thread; a `:memory:` store always does. The worker costs
   * ~60 ms of CPU to start, and the first query waits for it; it saves ~1 ms of the main
   * thread's time per 1,000-key page, so only a store that compares many keys starts one.
   * @default 50000
   */
  linkQueryWorkerAfterKeys?: number;
}

/** The embedded default: one SQLite file in WAL mode, shared safely by several processes. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = new Database(options.path);
  // Opening waits synchronously (busy_timeout) like any start-up; later calls wait async.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrateSqlite(db);
  db.pragma(`busy_timeout = ${SQLITE_SYNC_BUSY_MS}`);
  const key = resolveSecretKey({
    secretKey: options.secretKey,
    keyFile: options.keyFile ?? (options.path === ':memory:' ? undefined : `${options.path}.key`),
  });
  const box = key ? createSecretBox(key) : null;
  return new SqliteStore(
    db,
    box,
    { totalMs: options.busyTimeoutMs ?? 30_000, what: `The SQLite store ${options.path}` },
    {
      path: options.path === ':memory:' || options.path === '' ? null : options.path,
      workerAfterKeys: options.linkQueryWorkerAfterKeys ?? 50_000,
    },
  );
}

class SqliteStore extends RunUnitDelegation implements Store {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #box: SecretBox | null;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #commit: Database.Transaction<(commit: PageCommit) => void>;
  readonly #compareLinks: LinkComparer;
  readonly #leases: SqliteLeases;
  protected readonly units: UnitOperations;
  protected readonly runs: RunOperations;
  readonly #busyWait: BusyWaitOptions;
  readonly [STORE_HANDLE]: StoreHandle;

  constructor(
    db: Database.Database,
    box: SecretBox | null,
    busyWait: BusyWaitOptions,
    comparer: LinkComparerOptions,
  ) {
    super();
    this.#db = db;
    this.#box = box;
    this.#busyWait = busyWait;
    this.#statements = prepare(db);
    this.#leases = sqliteLeases(db);
    const whenFree = <T>(work: () => T): Promise<T> => this.#whenFree(work);
    this.units = sqliteUnits(db, whenFree);
    this.runs = sqliteRuns(db, whenFree);
    this[STORE_HANDLE] = {
      dialect: 'sqlite',
      db,
      whenFree,
      proveLease: (pipeline, unit, lease) => this.#leases.check(pipeline, unit, lease),
    };
    this.#commit = sqlitePageCommit(db, this.#leases);
    this.#compareLinks = sqliteLinkComparer(
      db,
      (pipeline, keys) => this.#readLinks(pipeline, keys),
      comparer,
    );
  }

  async getLinks(pipeline: string, keys: readonly string[]): Promise<Map<string, Link>> {
    return this.#readLinks(pipeline, keys);
  }

  async getChangedLinks(
    pipeline: string,
    hashes: ReadonlyMap<string, string | null>,
  ): Promise<Map<string, Link | null>> {
    return this.#compareLinks.compare(pipeline, hashes);
  }

  #readLinks(pipeline: string, keys: readonly string[]): Map<string, Link> {
    const links = new Map<string, Link>();
    if (keys.length === 0) return links;
    // Raw rows (arrays) allocate less on the hottest read of a no-change pass.
    const rows = this.#statements.getLinks.all(pipeline, JSON.stringify(keys)) as Array<
      [string, string, string, number | null]
    >;
    for (const [key, destId, hash, sourceUpdatedMs] of rows) {
      links.set(key, { key, destId, hash, sourceUpdatedMs });
    }
    return links;
  }

  async countLinks(pipeline: string, unit?: string): Promise<number> {
    const row = (
      unit === undefined
        ? this.#statements.countLinks.get(pipeline)
        : this.#statements.countUnitLinks.get(pipeline, unit)
    ) as { n: number };
    return row.n;
  }

  async listUnseenLinks(
    pipeline: string,
    unit: string,
    passId: string,
    limit: number,
  ): Promise<Link[]> {
    const rows = this.#statements.unseenLinks.all(pipeline, unit, passId, limit) as Row[];
    return rows.map(toLink);
  }

  async deleteLinks(pipeline: string): Promise<number> {
    return this.#whenFree(
      () => this.#db.prepare('DELETE FROM links WHERE pipeline = ?').run(pipeline).changes,
    );
  }

  async getCursor(pipeline: string, unit: string): Promise<CursorState | null> {
    const row = this.#statements.getCursor.get(pipeline, unit) as Row | undefined;
    if (!row) return null;
    return {
      cursor: parseCursor(row.cursor as string | null, `pipeline ${pipeline} unit ${unit}`),
      passId: (row.pass_id as string | null) ?? null,
    };
  }

  async forgetPipeline(pipeline: string): Promise<number> {
    const forget = this.#db.transaction(() => {
      for (const table of ['links', 'cursors', 'runs', 'dead_letters']) {
        this.#db.prepare(`DELETE FROM ${table} WHERE pipeline = ?`).run(pipeline);
      }
      return this.#db.prepare('DELETE FROM units WHERE pipeline = ?').run(pipeline).changes;
    });
    return forget.immediate();
  }

  async resetCursors(pipeline: string): Promise<number> {
    return this.#whenFree(
      () => this.#db.prepare('DELETE FROM cursors WHERE pipeline = ?').run(pipeline).changes,
    );
  }

  async commitPage(commit: PageCommit): Promise<void> {
    await this.#whenFree(() => this.#commit.immediate(commit));
  }

  async acquireLease(
    pipeline: string,
    unit: string,
    owner: string,
    ttlMs: number,
    now: Date,
  ): Promise<LeaseGrant | null> {
    return this.#whenFree(() =>
      this.#leases.acquire.immediate(pipeline, unit, owner, ttlMs, now.getTime()),
    );
  }

  async renewLease(
    pipeline: string,
    unit: string,
    lease: LeaseToken,
    ttlMs: number,
    now: Date,
  ): Promise<boolean> {
    return this.#whenFree(() => this.#leases.renew(pipeline, unit, lease, ttlMs, now.getTime()));
  }

  async releaseLease(pipeline: string, unit: string, owner: string): Promise<void> {
    await this.#whenFree(() => this.#leases.release(pipeline, unit, owner));
  }

  async putSecret(name: string, value: string): Promise<void> {
    const sealed = this.#requireBox().seal(value, name);
    await this.#whenFree(() =>
      this.#db
        .prepare(
          'INSERT INTO secrets (name, sealed, updated_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_ms = excluded.updated_ms',
        )
        .run(name, sealed, Date.now()),
    );
  }

  async getSecret(name: string): Promise<string | null> {
    const row = this.#db.prepare('SELECT sealed FROM secrets WHERE name = ?').get(name) as
      | Row
      | undefined;
    return row ? this.#requireBox().open(row.sealed as string, name) : null;
  }

  async deleteSecret(name: string): Promise<void> {
    await this.#whenFree(() => this.#db.prepare('DELETE FROM secrets WHERE name = ?').run(name));
  }

  async close(): Promise<void> {
    await this.#compareLinks.close();
    if (this.#db.open) this.#db.close();
  }

  /** Runs a synchronous call, waiting off the event loop while another process holds the lock. */
  #whenFree<T>(work: () => T): Promise<T> {
    return retryWhileBusy(work, this.#busyWait);
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

function prepare(db: Database.Database) {
  return {
    getLinks: db
      .prepare(
        `SELECT key, dest_id, hash, source_updated_ms FROM links
       WHERE pipeline = ? AND key IN (SELECT value FROM json_each(?))`,
      )
      .raw(true),
    countLinks: db.prepare('SELECT COUNT(*) AS n FROM links WHERE pipeline = ?'),
    countUnitLinks: db.prepare('SELECT COUNT(*) AS n FROM links WHERE pipeline = ? AND unit = ?'),
    unseenLinks: db.prepare(
      `SELECT key, dest_id, hash, source_updated_ms FROM links
       WHERE pipeline = ? AND unit = ? AND (seen_pass IS NULL OR seen_pass <> ?) AND hash <> 'archived'
       ORDER BY key LIMIT ?`,
    ),
    getCursor: db.prepare('SELECT cursor, pass_id FROM cursors WHERE pipeline = ? AND unit = ?'),
  };
}
