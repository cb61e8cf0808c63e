import Database from 'better-sqlite3';
import { KeepsyncError, parseCursor, serializeCursor } from '../model/index.js';
import { createSecretBox, type SecretBox } from '../net/index.js';
import { STORE_HANDLE, type StoreHandle } from './handle.js';
import { pendingMigrations } from './migrations.js';
import {
  mergeRequestedKeys,
  type Row,
  toDeadLetter,
  toLink,
  toRun,
  toUnit,
  unitColumns,
} from './rows.js';
import { resolveSecretKey, type SecretKeyOptions } from './secret-key.js';
import { type BusyWaitOptions, retryWhileBusy, SQLITE_SYNC_BUSY_MS } from './sqlite-busy.js';
import { type SqliteLeases, sqliteLeases } from './sqlite-leases.js';
import { sqliteMigrations } from './sqlite-schema.js';
import {
  type CursorState,
  type DeadLetter,
  emptyStats,
  type LeaseGrant,
  type LeaseToken,
  type Link,
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

export interface SqliteStoreOptions extends SecretKeyOptions {
  /** Path of the database file; `:memory:` for a throwaway store. */
  path: string;
  /**
   * How long a call waits for another process's lock before failing. The wait is
   * asynchronous (retries with backoff), so timers and signals keep running meanwhile.
   * @default 30000
   */
  busyTimeoutMs?: number;
}

/** The embedded default: one SQLite file in WAL mode, shared safely by several processes. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = new Database(options.path);
  // Opening waits synchronously (busy_timeout) like any start-up; later calls wait async.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  db.pragma(`busy_timeout = ${SQLITE_SYNC_BUSY_MS}`);
  const key = resolveSecretKey({
    secretKey: options.secretKey,
    keyFile: options.keyFile ?? (options.path === ':memory:' ? undefined : `${options.path}.key`),
  });
  const box = key ? createSecretBox(key) : null;
  return new SqliteStore(db, box, {
    totalMs: options.busyTimeoutMs ?? 30_000,
    what: `The SQLite store ${options.path}`,
  });
}

function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS keepsync_migrations (id TEXT PRIMARY KEY, applied_ms INTEGER NOT NULL)',
  );
  const apply = db.transaction(() => {
    const rows = db.prepare('SELECT id FROM keepsync_migrations').all() as Array<{ id: string }>;
    const insert = db.prepare('INSERT INTO keepsync_migrations (id, applied_ms) VALUES (?, ?)');
    for (const migration of pendingMigrations(
      sqliteMigrations,
      new Set(rows.map((row) => row.id)),
    )) {
      db.exec(migration.sql);
      insert.run(migration.id, Date.now());
    }
  });
  apply.immediate();
}

class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #box: SecretBox | null;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #commit: Database.Transaction<(commit: PageCommit) => void>;
  readonly #leases: SqliteLeases;
  readonly #busyWait: BusyWaitOptions;
  readonly [STORE_HANDLE]: StoreHandle;

  constructor(db: Database.Database, box: SecretBox | null, busyWait: BusyWaitOptions) {
    this.#db = db;
    this.#box = box;
    this.#busyWait = busyWait;
    this.#statements = prepare(db);
    this.#leases = sqliteLeases(db);
    this[STORE_HANDLE] = {
      dialect: 'sqlite',
      db,
      whenFree: (work) => this.#whenFree(work),
      proveLease: (pipeline, unit, lease) => this.#leases.check(pipeline, unit, lease),
    };
    const s = this.#statements;
    const leases = this.#leases;
    this.#commit = db.transaction((commit: PageCommit) => {
      if (commit.lease) leases.check(commit.pipeline, commit.unit, commit.lease);
      const now = Date.now();
      if (commit.cursor) {
        s.putCursor.run(
          commit.pipeline,
          commit.unit,
          serializeCursor(commit.cursor.cursor),
          commit.cursor.passId,
          now,
        );
      }
      // One statement per kind of change, its rows as one JSON parameter: a page of 1,000
      // links is one call into SQLite instead of a thousand bound statements.
      if (commit.links.length > 0) {
        s.putLinks.run(
          commit.pipeline,
          commit.unit,
          JSON.stringify(
            commit.links.map((link) => [
              link.key,
              link.destId,
              link.hash,
              link.sourceUpdatedMs,
              link.passId ?? null,
            ]),
          ),
        );
      }
      if (commit.seen && commit.seen.keys.length > 0) {
        s.markSeen.run(commit.seen.passId, commit.pipeline, JSON.stringify(commit.seen.keys));
      }
      if (commit.removedLinks.length > 0) {
        s.removeLinks.run(commit.pipeline, JSON.stringify(commit.removedLinks));
      }
      if (commit.resolvedDeadLetters.length > 0 && s.anyDeadLetter.get(commit.pipeline)) {
        s.removeDeadLetters.run(commit.pipeline, JSON.stringify(commit.resolvedDeadLetters));
      }
      for (const letter of commit.deadLetters) {
        s.putDeadLetter.run({
          pipeline: commit.pipeline,
          key: letter.key,
          unit: commit.unit,
          error: letter.error,
          record: letter.record,
          now,
        });
      }
      s.updateRunStats.run(JSON.stringify(commit.stats), commit.runId);
    });
  }

  async getLinks(pipeline: string, keys: readonly string[]): Promise<Map<string, Link>> {
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

  async startRun(pipeline: string, unit: string, trigger: RunTrigger): Promise<number> {
    const result = await this.#whenFree(() =>
      this.#db
        .prepare(
          `INSERT INTO runs (pipeline, unit, trigger, status, started_ms, stats) VALUES (?, ?, ?, 'running', ?, ?)`,
        )
        .run(pipeline, unit, trigger, Date.now(), JSON.stringify(emptyStats())),
    );
    return Number(result.lastInsertRowid);
  }

  async finishRun(
    runId: number,
    outcome: { status: RunStatus; stats: RunStats; error: string | null },
  ): Promise<void> {
    await this.#whenFree(() =>
      this.#db
        .prepare('UPDATE runs SET status = ?, finished_ms = ?, stats = ?, error = ? WHERE id = ?')
        .run(outcome.status, Date.now(), JSON.stringify(outcome.stats), outcome.error, runId),
    );
  }

  async getRun(runId: number): Promise<RunRow | null> {
    const row = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as Row | undefined;
    return row ? toRun(row) : null;
  }

  async listRuns(filter: RunFilter): Promise<RunRow[]> {
    const rows = this.#db
      .prepare(
        `SELECT * FROM runs WHERE (@pipeline IS NULL OR pipeline = @pipeline)
         AND (@unit IS NULL OR unit = @unit) AND (@after IS NULL OR id > @after)
         ORDER BY CASE WHEN @after IS NULL THEN -id ELSE id END LIMIT @limit`,
      )
      .all({
        pipeline: filter.pipeline ?? null,
        unit: filter.unit ?? null,
        after: filter.afterId ?? null,
        limit: filter.limit,
      }) as Row[];
    return rows.map(toRun);
  }

  async listDeadLetters(filter: { pipeline?: string; unit?: string }): Promise<DeadLetter[]> {
    const rows = this.#db
      .prepare(
        `SELECT * FROM dead_letters WHERE (@pipeline IS NULL OR pipeline = @pipeline)
         AND (@unit IS NULL OR unit = @unit) ORDER BY pipeline, unit, key`,
      )
      .all({ pipeline: filter.pipeline ?? null, unit: filter.unit ?? null }) as Row[];
    return rows.map(toDeadLetter);
  }

  async ensureUnit(pipeline: string, unit: string, nextRunAt: Date): Promise<void> {
    await this.#whenFree(() =>
      this.#db
        .prepare(
          'INSERT INTO units (pipeline, unit, next_run_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(pipeline, unit, nextRunAt.getTime()),
    );
  }

  async getUnit(pipeline: string, unit: string): Promise<UnitState | null> {
    const row = this.#db
      .prepare('SELECT * FROM units WHERE pipeline = ? AND unit = ?')
      .get(pipeline, unit) as Row | undefined;
    return row ? toUnit(row) : null;
  }

  async listUnits(pipeline?: string): Promise<UnitState[]> {
    const rows = this.#db
      .prepare(
        'SELECT * FROM units WHERE (@pipeline IS NULL OR pipeline = @pipeline) ORDER BY pipeline, unit',
      )
      .all({ pipeline: pipeline ?? null }) as Row[];
    return rows.map(toUnit);
  }

  async updateUnit(pipeline: string, unit: string, patch: UnitStatePatch): Promise<void> {
    const columns = unitColumns(patch);
    if (columns.length === 0) return;
    const assignments = columns.map(([column]) => `${column} = ?`).join(', ');
    const result = await this.#whenFree(() =>
      this.#db
        .prepare(`UPDATE units SET ${assignments} WHERE pipeline = ? AND unit = ?`)
        .run(...columns.map(([, value]) => value), pipeline, unit),
    );
    if (result.changes === 0) {
      throw new KeepsyncError(
        'NOT_FOUND',
        `Unit ${unit} of pipeline ${pipeline} is not known to the store`,
      );
    }
  }

  async requestSync(pipeline: string, unit: string, keys: readonly string[] | null): Promise<void> {
    const request = this.#db.transaction(() => {
      const row = this.#db
        .prepare('SELECT sync_requested, requested_keys FROM units WHERE pipeline = ? AND unit = ?')
        .get(pipeline, unit) as Row | undefined;
      if (!row) {
        throw new KeepsyncError(
          'NOT_FOUND',
          `Unit ${unit} of pipeline ${pipeline} is not known to the store`,
        );
      }
      const merged = mergeRequestedKeys(
        row.sync_requested === 1,
        row.requested_keys === null ? null : (JSON.parse(row.requested_keys as string) as string[]),
        keys,
      );
      this.#db
        .prepare(
          'UPDATE units SET sync_requested = 1, requested_keys = ? WHERE pipeline = ? AND unit = ?',
        )
        .run(merged === null ? null : JSON.stringify(merged), pipeline, unit);
    });
    await this.#whenFree(() => request.immediate());
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
    putCursor: db.prepare(
      `INSERT INTO cursors (pipeline, unit, cursor, pass_id, updated_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pipeline, unit) DO UPDATE SET cursor = excluded.cursor, pass_id = excluded.pass_id,
         updated_ms = excluded.updated_ms`,
    ),
    putLinks: db.prepare(
      `INSERT INTO links (pipeline, key, unit, dest_id, hash, source_updated_ms, seen_pass)
       SELECT ?, value ->> 0, ?, value ->> 1, value ->> 2, value ->> 3, value ->> 4
       FROM json_each(?) WHERE true
       ON CONFLICT (pipeline, key) DO UPDATE SET unit = excluded.unit, dest_id = excluded.dest_id,
         hash = excluded.hash, source_updated_ms = excluded.source_updated_ms,
         seen_pass = COALESCE(excluded.seen_pass, links.seen_pass)`,
    ),
    markSeen: db.prepare(
      `UPDATE links SET seen_pass = ?
       WHERE pipeline = ? AND key IN (SELECT value FROM json_each(?))`,
    ),
    removeLinks: db.prepare(
      'DELETE FROM links WHERE pipeline = ? AND key IN (SELECT value FROM json_each(?))',
    ),
    anyDeadLetter: db.prepare('SELECT 1 FROM dead_letters WHERE pipeline = ? LIMIT 1').pluck(),
    removeDeadLetters: db.prepare(
      'DELETE FROM dead_letters WHERE pipeline = ? AND key IN (SELECT value FROM json_each(?))',
    ),
    putDeadLetter: db.prepare(
      `INSERT INTO dead_letters (pipeline, key, unit, error, record, attempts, first_failed_ms, last_failed_ms)
       VALUES (@pipeline, @key, @unit, @error, @record, 1, @now, @now)
       ON CONFLICT (pipeline, key) DO UPDATE SET unit = excluded.unit, error = excluded.error,
         record = COALESCE(excluded.record, dead_letters.record),
         attempts = dead_letters.attempts + 1, last_failed_ms = excluded.last_failed_ms`,
    ),
    updateRunStats: db.prepare('UPDATE runs SET stats = ? WHERE id = ?'),
  };
}
