import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../../src/connectors/sql/index.js';
import * as sql from '../../../src/connectors/sql/index.js';
import { freshDatabase } from '../../support/postgres.js';
import { create, openSession, readPages, run } from './helpers.js';
import { describeSqlConnector } from './suite.js';

const database = freshDatabase('sql');
let client: SqlClient;
let pool: pg.Pool;

beforeAll(async () => {
  pool = await database.pool();
  client = sql.postgresClient(pool);
});

afterAll(async () => {
  await client?.close();
  await database.drop();
});

describeSqlConnector('PostgreSQL', () => client);

describe('sql connector on PostgreSQL only', () => {
  it('connects from a connection string and ends its own pool on close', async () => {
    const own = sql.postgresClient(await database.url());
    expect(await own.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await own.close();
    await own.close();
    await expect(own.query('SELECT 1')).rejects.toThrow();
  });

  it('creates typed columns, so values keep their types in the database', async () => {
    const session = await openSession(
      sql.destination({ client, table: 'typed', createTable: true, archivedColumn: 'archived' }),
    );
    await session.write([
      create('a', {
        n: 1.5,
        on: true,
        at: new Date('2024-01-01T00:00:00Z'),
        tags: ['x'],
        title: 't',
      }),
    ]);
    const rows = await run(
      client,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'typed' ORDER BY column_name",
    );
    expect(Object.fromEntries(rows.map((row) => [row.column_name, row.data_type]))).toEqual({
      archived: 'boolean',
      at: 'timestamp with time zone',
      key: 'text',
      n: 'double precision',
      on: 'boolean',
      tags: 'jsonb',
      title: 'text',
    });
  });

  it('writes a batch of a few thousand rows as multi-row statements in one transaction', async () => {
    const session = await openSession(
      sql.destination({ client, table: 'bulk', createTable: true }),
    );
    const ops = Array.from({ length: 7000 }, (_, index) =>
      create(
        `r${index}`,
        Object.fromEntries(Array.from({ length: 10 }, (_, f) => [`f${f}`, index + f])),
      ),
    );
    const results = await session.write(ops);
    expect(results.every((result) => result.status === 'ok')).toBe(true);
    expect(
      await run(client, 'SELECT COUNT(*)::int AS count, SUM(f9)::int AS total FROM bulk'),
    ).toEqual([{ count: 7000, total: (6999 * 7000) / 2 + 9 * 7000 }]);
  });

  it('sends a page of 1,000 upserts as one statement with one parameter, values intact', async () => {
    const statements: Array<{ sql: string; params: readonly unknown[] }> = [];
    // No supportsCopy: this is about the upsert's shape (creates by COPY: postgres-copy.test.ts).
    const counting: SqlClient = {
      dialect: client.dialect,
      query: (text, params) => client.query(text, params),
      transaction(batch) {
        statements.push(...batch);
        return client.transaction(batch);
      },
      close: () => client.close(),
    };
    await run(
      client,
      'CREATE TABLE shapes (key TEXT PRIMARY KEY, title TEXT, n BIGINT, on_ BOOLEAN, at TIMESTAMPTZ, doc JSONB)',
    );
    const session = await openSession(
      sql.destination({ client: counting, table: 'shapes', columns: { on: 'on_' } }),
    );
    // Text that would close the JSON object or array it travels in, were it not escaped.
    const tricky = 'quote " backslash \\ "}, {"key": "evil"}] ünïcödé \u2028 tab\t';
    const ops = Array.from({ length: 1000 }, (_, index) =>
      create(`r${index}`, {
        title: index === 7 ? tricky : `Title ${index}`,
        n: index * 1000,
        on: index % 2 === 0,
        at: new Date(Date.UTC(2024, 0, 1, 0, 0, index)),
        doc: index === 8 ? 'not json' : { list: [index, 'x'], nested: { deep: true } },
      }),
    );
    const results = await session.write(ops);
    expect(results.every((result) => result.status === 'ok')).toBe(true);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.params).toHaveLength(1);
    expect(await run(client, 'SELECT COUNT(*)::int AS count FROM shapes')).toEqual([
      { count: 1000 },
    ]);
    const rows = await run(
      client,
      "SELECT key, title, n::text AS n, on_, at, doc FROM shapes WHERE key IN ('r7', 'r8', 'r9') ORDER BY key",
    );
    expect(rows).toEqual([
      {
        key: 'r7',
        title: tricky,
        n: '7000',
        on_: false,
        at: new Date('2024-01-01T00:00:07Z'),
        doc: { list: [7, 'x'], nested: { deep: true } },
      },
      // Text that is no JSON, bound for a jsonb column, is kept as a JSON string.
      {
        key: 'r8',
        title: 'Title 8',
        n: '8000',
        on_: true,
        at: new Date('2024-01-01T00:00:08Z'),
        doc: 'not json',
      },
      {
        key: 'r9',
        title: 'Title 9',
        n: '9000',
        on_: false,
        at: new Date('2024-01-01T00:00:09Z'),
        doc: { list: [9, 'x'], nested: { deep: true } },
      },
    ]);
  });

  it('writes a column called __proto__ as a column like any other', async () => {
    const session = await openSession(
      sql.destination({ client, table: 'odd', createTable: true, columns: { x: '__proto__' } }),
    );
    const [result] = await session.write([create('a', { x: 'kept', title: 'A' })]);
    expect(result).toMatchObject({ status: 'ok' });
    expect(await run(client, 'SELECT "__proto__" AS value, title FROM odd')).toEqual([
      { value: 'kept', title: 'A' },
    ]);
  });

  it('writes into a table in another schema', async () => {
    await run(client, 'CREATE SCHEMA IF NOT EXISTS crm');
    await run(
      client,
      'CREATE TABLE crm.people (key TEXT PRIMARY KEY, name TEXT, updated_at TIMESTAMPTZ)',
    );
    const session = await openSession(sql.destination({ client, table: 'crm.people' }));
    await session.write([
      create('p1', { name: 'Ada', updated_at: new Date('2024-01-01T00:00:00Z') }),
    ]);
    const source = sql.source({ client, table: 'crm.people', cursorColumn: 'updated_at' });
    const [page] = await readPages(source, 'crm.people');
    expect(page!.records[0]).toMatchObject({ key: 'p1', fields: { name: 'Ada' } });
  });

  it('merges fields kept in a plain TEXT JSON column and reads them back', async () => {
    await run(client, 'CREATE TABLE notes (key TEXT PRIMARY KEY, extra TEXT, version INTEGER)');
    const session = await openSession(
      sql.destination({ client, table: 'notes', jsonColumn: 'extra' }),
    );
    await session.write([create('a', { version: 1, colour: 'red', size: 2 })]);
    await session.write([
      {
        kind: 'update',
        key: 'a',
        destId: 'a',
        record: { key: 'a', fields: { version: 2, size: null } },
      },
    ]);
    const source = sql.source({
      client,
      table: 'notes',
      cursorColumn: 'version',
      jsonColumn: 'extra',
    });
    const [page] = await readPages(source, 'notes');
    expect(page!.records[0]!.fields).toEqual({ version: 2, colour: 'red', size: null });
    expect(page!.cursor).toEqual({ v: '2', k: 'a' });
  });

  it("explains a key column without a unique constraint, as the table's problem", async () => {
    await run(client, 'CREATE TABLE loose (key TEXT, title TEXT)');
    const session = await openSession(sql.destination({ client, table: 'loose' }));
    const [result] = await session.write([create('a', { title: 'A' })]);
    expect(result).toMatchObject({
      status: 'unavailable',
      error: expect.stringContaining('give `key` a PRIMARY KEY or UNIQUE constraint'),
    });
  });
});
