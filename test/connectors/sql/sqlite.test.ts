import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import * as sql from '../../../src/connectors/sql/index.js';
import { openSqliteStore } from '../../../src/store/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { create, openSession, run } from './helpers.js';
import { describeSqlConnector } from './suite.js';

const dir = mkdtempSync(join(tmpdir(), 'keepsync-sql-'));
const client = sql.sqliteClient(join(dir, 'test.db'));

afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describeSqlConnector('SQLite', () => client);

describe('sql destination on SQLite only', () => {
  it('plans each record of one shape on its own: an undefined field is left as stored, a field on the key column is refused', async () => {
    const session = await openSession(
      sql.destination({ client, table: 'shaped', createTable: true }),
    );
    await session.write([create('a', { title: 'A', n: 1 })]);
    const results = await session.write([
      create('b', { title: 'B', n: 2 }),
      {
        kind: 'update',
        key: 'a',
        destId: 'a',
        record: { key: 'a', fields: { title: undefined, n: 3 } },
      },
      create('c', { title: 'C', n: 4 }),
      create('d', { key: 'other', n: 5 }),
      create('e', { key: 'e', n: 6 }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['ok', 'ok', 'ok', 'rejected', 'ok']);
    expect(results[3]).toMatchObject({
      error: expect.stringContaining('would overwrite the key column'),
    });
    expect(await run(client, 'SELECT key, title, n FROM shaped ORDER BY key')).toEqual([
      { key: 'a', title: 'A', n: 3 },
      { key: 'b', title: 'B', n: 2 },
      { key: 'c', title: 'C', n: 4 },
      { key: 'e', title: null, n: 6 },
    ]);
  });

  it('stores booleans as 1 and 0 and Dates as ISO strings', async () => {
    const session = await openSession(
      sql.destination({ client, table: 'encoded', createTable: true }),
    );
    await session.write([
      create('a', { on: true, off: false, at: new Date('2024-01-01T00:00:00Z') }),
    ]);
    expect(await run(client, 'SELECT "on", "off", "at" FROM encoded')).toEqual([
      { on: 1, off: 0, at: '2024-01-01T00:00:00.000Z' },
    ]);
  });

  it('reports a locked database as retryable, not rejected', async () => {
    const path = join(dir, 'locked.db');
    const other = new Database(path);
    other.exec('CREATE TABLE items (key TEXT PRIMARY KEY, n REAL)');
    const busy = sql.sqliteClient(path, { busyTimeoutMs: 10 });
    try {
      const session = await openSession(sql.destination({ client: busy, table: 'items' }));
      other.exec('BEGIN IMMEDIATE');
      const [result] = await session.write([create('a', { n: 1 })]);
      expect(result).toMatchObject({
        status: 'retryable',
        error: expect.stringContaining('locked'),
      });
      other.exec('COMMIT');
      expect(await session.write([create('a', { n: 1 })])).toEqual([{ status: 'ok', destId: 'a' }]);
    } finally {
      await busy.close();
      other.close();
    }
  });

  it('fails the run when the database stops taking writes, keeping the cursor and dead-lettering nothing', async () => {
    await run(client, 'CREATE TABLE outage (key TEXT PRIMARY KEY, n REAL)');
    const store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(1) });
    const records = Array.from({ length: 30 }, (_, n) => ({ key: `k${n}`, fields: { n } }));
    const pipeline = definePipeline({
      name: 'outage',
      source: memory.source({ units: { all: records }, pageSize: 10 }),
      destination: sql.destination({ client, table: 'outage' }),
      retryMinDelayMs: 1,
    });
    try {
      let readOnly = false;
      const failed = await runPipeline({
        store,
        pipeline,
        unit: 'all',
        // The database turns read-only once the first page is committed.
        onProgress: async () => {
          if (!readOnly) await run(client, 'PRAGMA query_only = ON');
          readOnly = true;
        },
      });
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(
        /Destination sql is failing .*table outage: attempt to write a readonly database/,
      );
      expect(failed.stats).toMatchObject({ created: 10, failed: 0, retries: 0 });
      expect(await store.listDeadLetters({})).toEqual([]);

      await run(client, 'PRAGMA query_only = OFF');
      const healed = await runPipeline({ store, pipeline, unit: 'all' });
      expect(healed.stats).toMatchObject({ read: 20, created: 20, failed: 0 });
      expect(await run(client, 'SELECT COUNT(*) AS n FROM outage')).toEqual([{ n: 30 }]);
    } finally {
      await store.close();
    }
  });

  it('leaves a database it was given open on close', async () => {
    const db = new Database(':memory:');
    const given = sql.sqliteClient(db);
    await given.close();
    expect(db.open).toBe(true);
    db.close();
  });
});
