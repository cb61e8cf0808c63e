import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocumentStore, openPostgresDocumentStore } from '../../src/server/index.js';
import { freshDatabase } from '../support/postgres.js';
import { openStream, type Running, sqliteStore, startServer, token } from './helpers.js';

/**
 * Parity 6: `server.write` joins the application's own PostgreSQL transaction, so a business
 * write and its oplog entry commit or roll back together.
 */
const database = freshDatabase('sync_app_tx');
afterAll(() => database.drop());

let tenants = 0;
function tenantName(): string {
  tenants += 1;
  return `app-tx-${tenants}-${Math.random().toString(36).slice(2, 8)}`;
}

const task = (docId: string, data: Record<string, unknown>) => ({
  collection: 'tasks',
  operation: 'upsert' as const,
  doc_id: docId,
  data,
});

describe('server writes inside the application transaction on PostgreSQL', () => {
  let store: DocumentStore;
  let running: Running;
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = await database.pool();
    await pool.query('CREATE TABLE invoices (id TEXT PRIMARY KEY, total INTEGER NOT NULL)');
    store = await openPostgresDocumentStore({ connectionString: await database.url() });
    running = await startServer(store, {
      collections: { tasks: {}, strict: { resolver: () => ({ action: 'reject' }) } },
    });
  });
  afterAll(async () => {
    await running.close();
    await store.close();
  });

  async function inTransaction<T>(
    work: (client: pg.PoolClient) => Promise<T>,
    end: 'COMMIT' | 'ROLLBACK',
  ): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const value = await work(client).catch(async (error: unknown) => {
        await client.query('ROLLBACK');
        throw error;
      });
      await client.query(end);
      return value;
    } finally {
      client.release();
    }
  }

  async function pulledIds(jwt: string): Promise<string[]> {
    const response = await running.pull(jwt, { since: '0' });
    const body = (await response.json()) as { changes: Array<{ doc_id: string }> };
    return body.changes.map((change) => change.doc_id);
  }

  it('rolls back with the application: no document, no oplog entry, nothing pulled', async () => {
    const tenant = tenantName();
    const jwt = await token({ sub: 'u', tenant }, { expiresIn: '1h' });
    const entriesBefore = await store.countOplog();
    const results = await inTransaction(async (client) => {
      await client.query("INSERT INTO invoices VALUES ('rolled-back', 10)");
      return running.server.write({
        scope: tenant,
        changes: [task('inv-1', { total: 10 })],
        transaction: client,
      });
    }, 'ROLLBACK');
    expect(results).toMatchObject([{ doc_id: 'inv-1', status: 'accepted' }]);
    expect(await store.getDocument(tenant, 'tasks', 'inv-1')).toBeNull();
    expect(await store.countOplog()).toBe(entriesBefore);
    expect(await pulledIds(jwt)).toEqual([]);
    expect((await pool.query("SELECT * FROM invoices WHERE id = 'rolled-back'")).rowCount).toBe(0);
    // The oplog lock went with the transaction: a push goes through afterwards.
    const pushed = await running.push(jwt, {
      client_id: 'c',
      changes: [{ ...task('after', { v: 1 }), parent_version: null }],
    });
    expect(pushed.status).toBe(200);
  });

  it('commits with the application, and pulls and the stream see it only after COMMIT', async () => {
    const tenant = tenantName();
    const jwt = await token({ sub: 'u', tenant }, { expiresIn: '1h' });
    const stream = await openStream(running.url);
    stream.send({ type: 'subscribe', token: jwt, since: '0' });
    await stream.next((message) => message.type === 'caught_up');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("INSERT INTO invoices VALUES ('committed', 20)");
      await running.server.write({
        scope: tenant,
        actor: 'billing',
        changes: [task('inv-2', { total: 20 })],
        transaction: client,
      });
      expect(await pulledIds(jwt)).toEqual([]);
      expect(await store.getDocument(tenant, 'tasks', 'inv-2')).toBeNull();
      // The server polls every 200 ms: give the hub several chances to leak the entry.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(stream.messages.filter((message) => message.type === 'change')).toEqual([]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const live = await stream.next((message) => message.type === 'change', 15_000);
    expect(live).toMatchObject({ doc_id: 'inv-2', actor_id: 'billing', data: { total: 20 } });
    expect(await pulledIds(jwt)).toEqual(['inv-2']);
    expect(await store.getDocument(tenant, 'tasks', 'inv-2')).toMatchObject({
      data: '{"total":20}',
    });
    expect((await pool.query("SELECT * FROM invoices WHERE id = 'committed'")).rowCount).toBe(1);
    stream.close();
  });

  it('deletes inside the application transaction, kept or undone with it', async () => {
    const tenant = tenantName();
    await running.server.write({ scope: tenant, changes: [task('gone', { v: 1 })] });
    const remove = { collection: 'tasks', operation: 'delete' as const, doc_id: 'gone' };
    await inTransaction(
      (client) => running.server.write({ scope: tenant, changes: [remove], transaction: client }),
      'ROLLBACK',
    );
    expect(await store.getDocument(tenant, 'tasks', 'gone')).toMatchObject({ deleted: false });
    await inTransaction(
      (client) => running.server.write({ scope: tenant, changes: [remove], transaction: client }),
      'COMMIT',
    );
    expect(await store.getDocument(tenant, 'tasks', 'gone')).toMatchObject({ deleted: true });
  });

  it('leaves the application transaction usable when its write is refused', async () => {
    const tenant = tenantName();
    const strict = (docId: string) => ({ ...task(docId, { v: 1 }), collection: 'strict' });
    const [stored] = await running.server.write({ scope: tenant, changes: [strict('stale')] });
    await running.server.write({ scope: tenant, changes: [strict('stale')] });
    await inTransaction(async (client) => {
      await client.query("INSERT INTO invoices VALUES ('kept', 30)");
      const results = await running.server.write({
        scope: tenant,
        atomic: true,
        changes: [
          task('ok', { v: 1 }),
          { ...strict('stale'), parent_version: stored!.new_version! },
        ],
        transaction: client,
      });
      expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      await client.query("UPDATE invoices SET total = 31 WHERE id = 'kept'");
    }, 'COMMIT');
    expect((await pool.query("SELECT total FROM invoices WHERE id = 'kept'")).rows).toEqual([
      { total: 31 },
    ]);
    expect(await store.getDocument(tenant, 'tasks', 'ok')).toBeNull();
  });

  it('refuses a client that is not inside a transaction, saying so', async () => {
    const client = await pool.connect();
    try {
      await expect(
        running.server.write({
          scope: tenantName(),
          changes: [task('x', { v: 1 })],
          transaction: client,
        }),
      ).rejects.toThrow(/inside an open transaction \(after BEGIN\)/);
    } finally {
      client.release();
    }
  });
});

describe('server writes inside an application transaction on SQLite', () => {
  it('are refused with a clear error, writing nothing', async () => {
    const store = sqliteStore();
    const running = await startServer(store);
    try {
      const fake = { query: async () => ({ rows: [], rowCount: 0 }) };
      await expect(
        running.server.write({
          scope: 'sqlite-tenant',
          changes: [task('x', { v: 1 })],
          transaction: fake,
        }),
      ).rejects.toThrow(/only on the PostgreSQL sync store/);
      expect(await store.countOplog()).toBe(0);
    } finally {
      await running.close();
      await store.close();
    }
  });
});
