import type pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { isKeepsyncError } from '../../src/model/index.js';
import { emptyStats, openPostgresStore, type Store } from '../../src/store/index.js';
import { postgresMigrations } from '../../src/store/postgres-schema.js';
import { sqliteMigrations } from '../../src/store/sqlite-schema.js';
import { freshDatabase } from '../support/postgres.js';
import { describeStoreConformance } from './store-conformance.js';

const suiteKey = new Uint8Array(32).fill(4);

// A linguistic collation, as many real databases have, so key order must not depend on it.
const conformance = freshDatabase(
  'conformance',
  "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
);
let raw: pg.Pool | undefined;

describeStoreConformance(
  'PostgreSQL',
  async (options = {}) =>
    openPostgresStore({
      connectionString: await conformance.url(),
      secretKey: options.secretKey === null ? undefined : (options.secretKey ?? suiteKey),
    }),
  () => conformance.drop(),
  async (text) => {
    raw ??= await conformance.pool({ options: '-c search_path=keepsync' });
    return (await raw.query(text)).rows;
  },
);

describe('PostgreSQL store', () => {
  const database = freshDatabase('specific');
  const stores: Store[] = [];

  async function open(options: Parameters<typeof openPostgresStore>[0]): Promise<Store> {
    const store = await openPostgresStore({ secretKey: suiteKey, ...options });
    stores.push(store);
    return store;
  }

  afterEach(() => {
    vi.doUnmock('pg');
    vi.resetModules();
  });

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await database.drop();
  });

  it('names its migrations exactly like the SQLite store', () => {
    expect(postgresMigrations.map((migration) => migration.id)).toEqual(
      sqliteMigrations.map((migration) => migration.id),
    );
  });

  it('migrates a fresh schema once when several processes open it at the same time', async () => {
    const connectionString = await database.url();

    const opened = await Promise.all(
      Array.from({ length: 4 }, () => open({ connectionString, schema: 'racing' })),
    );

    const pool = await database.pool();
    const { rows } = await pool.query('SELECT id FROM racing.keepsync_migrations ORDER BY id');
    // Migrations are named, not numbered: their ids need not sort in the order they run.
    expect(rows.map((row) => row.id).sort()).toEqual(
      postgresMigrations.map((migration) => migration.id).sort(),
    );
    await opened[0]!.ensureUnit('p', 'u', new Date(0));
    expect(await opened[3]!.getUnit('p', 'u')).not.toBeNull();
  });

  it('keeps deployments on different schemas of one database apart', async () => {
    const connectionString = await database.url();
    const tenantA = await open({ connectionString, schema: 'tenant_a' });
    const tenantB = await open({ connectionString, schema: 'tenant_b' });
    const runId = await tenantA.startRun('p', 'u', 'manual');

    await tenantA.commitPage({
      pipeline: 'p',
      unit: 'u',
      runId,
      links: [{ key: 'k', destId: 'd', hash: 'h', sourceUpdatedMs: null }],
      removedLinks: [],
      deadLetters: [],
      resolvedDeadLetters: [],
      stats: emptyStats(),
    });

    expect(await tenantA.countLinks('p')).toBe(1);
    expect(await tenantB.countLinks('p')).toBe(0);
    expect(await tenantB.getRun(runId)).toBeNull();
  });

  it('sends one statement per kind of change, however large the page', async () => {
    const pool = await database.pool();
    const store = await open({ pool, schema: 'batching' });
    const statements: string[] = [];
    const watched = new WeakSet<pg.PoolClient>();
    pool.on('acquire', (client) => {
      if (watched.has(client)) return;
      watched.add(client);
      const query = client.query.bind(client) as (text: string, ...rest: unknown[]) => unknown;
      // Records the first word of every statement sent on this connection.
      (client as unknown as { query: typeof query }).query = (text, ...rest) => {
        statements.push(text.trim().split(/\s+/)[0] ?? '');
        return query(text, ...rest);
      };
    });
    const runId = await store.startRun('p', 'u', 'schedule');
    const keys = Array.from({ length: 3000 }, (_, index) => `k${index}`);

    statements.length = 0;
    await store.commitPage({
      pipeline: 'p',
      unit: 'u',
      runId,
      cursor: { cursor: { page: 1 }, passId: 'pass-1' },
      links: keys.map((key) => ({
        key,
        destId: key,
        hash: 'h',
        sourceUpdatedMs: 1,
        passId: 'pass-1',
      })),
      seen: { passId: 'pass-1', keys: keys.slice(0, 1000) },
      removedLinks: keys.slice(2000, 2500),
      deadLetters: keys.slice(2500).map((key) => ({ key, error: 'boom', record: null })),
      resolvedDeadLetters: keys.slice(0, 500),
      stats: emptyStats(),
    });

    expect(statements).toEqual([
      'BEGIN',
      'INSERT', // cursor
      'INSERT', // links
      'UPDATE', // seen marks
      'DELETE', // removed links
      'DELETE', // resolved dead letters
      'INSERT', // dead letters
      'UPDATE', // run stats
      'COMMIT',
    ]);
    expect(await store.countLinks('p')).toBe(2500);
    expect(await store.listDeadLetters({ pipeline: 'p' })).toHaveLength(500);
  });

  it('borrows an application pool without ending it', async () => {
    const pool = await database.pool();
    const store = await openPostgresStore({ pool, schema: 'borrowed', secretKey: suiteKey });
    await store.putSecret('token', 'value');

    await store.close();
    await store.close();

    const { rows } = await pool.query('SELECT COUNT(*)::int AS n FROM borrowed.secrets');
    expect(rows[0].n).toBe(1);
  });

  it('closes a pool of its own, and closing twice is harmless', async () => {
    const store = await openPostgresStore({ connectionString: await database.url() });

    await store.close();
    await store.close();

    await expect(store.countLinks('p')).rejects.toThrow();
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    const error = await openPostgresStore({
      connectionString: await database.url(),
      schema: 'bad"; DROP TABLE x; --',
    }).catch((caught: unknown) => caught);

    expect(isKeepsyncError(error) && error.code).toBe('CONFIG_INVALID');
  });

  it('asks for exactly one of a connection string and a pool', async () => {
    const pool = await database.pool();
    for (const options of [{}, { pool, connectionString: await database.url() }]) {
      const error = await openPostgresStore(options).catch((caught: unknown) => caught);
      expect(isKeepsyncError(error) && error.code).toBe('CONFIG_INVALID');
    }
  });

  it('says how to install pg when the package is missing', async () => {
    vi.doMock('pg', () => {
      throw Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
    });
    vi.resetModules();
    const { openPostgresStore: openWithoutPg } = await import('../../src/store/postgres-store.js');

    const error = await openWithoutPg({ connectionString: await database.url() }).catch(
      (caught: unknown) => caught,
    );

    expect(isKeepsyncError(error) && error.code).toBe('DEPENDENCY_MISSING');
    expect((error as Error).message).toBe(
      'Install the `pg` package to use the PostgreSQL store: npm install pg',
    );
  });
});
