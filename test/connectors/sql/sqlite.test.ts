import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import * as sql from '../../../src/connectors/sql/index.js';
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

  it('leaves a database it was given open on close', async () => {
    const db = new Database(':memory:');
    const given = sql.sqliteClient(db);
    await given.close();
    expect(db.open).toBe(true);
    db.close();
  });
});
