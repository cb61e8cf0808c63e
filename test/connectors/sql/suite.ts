import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../../../src/connectors/sql/index.js';
import * as sql from '../../../src/connectors/sql/index.js';
import { create, keysOf, openSession, readPages, run, telemetry, update } from './helpers.js';

/**
 * The behaviour every SQL backend must show, driven through the connector contract.
 * `client()` returns the backend's client, shared by the suite; every test uses its own table.
 */
export function describeSqlConnector(backend: string, client: () => SqlClient): void {
  let tables = 0;
  const freshTable = () => `t_${++tables}`;
  const timeType = () => (client().dialect === 'sqlite' ? 'TEXT' : 'TIMESTAMPTZ');

  /** A hand-made table with an updated_at cursor column, as a user would have. */
  async function userTable(): Promise<string> {
    const table = freshTable();
    await run(
      client(),
      `CREATE TABLE ${table} (key TEXT PRIMARY KEY, title TEXT, updated_at ${timeType()})`,
    );
    return table;
  }

  async function insert(table: string, key: string, title: string, updatedAt: string | null) {
    await run(
      client(),
      `INSERT INTO ${table} (key, title, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at`,
      [key, title, updatedAt],
    );
  }

  describe(`sql destination on ${backend}`, () => {
    it('creates the table and writes records whose values read back as they were', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true }),
      );
      const when = new Date('2024-02-03T04:05:06.789Z');
      const fields = {
        title: 'Hello',
        stars: 42,
        ratio: 0.25,
        active: true,
        hidden: false,
        updated_at: when,
        tags: ['a', 'b'],
        meta: { nested: { x: 1 }, list: [null, true] },
        none: null,
      };
      expect(await session.write([create('k1', fields)])).toEqual([{ status: 'ok', destId: 'k1' }]);
      const source = sql.source({ client: client(), table, cursorColumn: 'updated_at' });
      const [page] = await readPages(source, table);
      expect(page!.records).toHaveLength(1);
      expect(page!.records[0]).toMatchObject({ key: 'k1', fields, updatedAt: when });
    });

    it('updates only the fields an update carries, keeping the others', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true }),
      );
      await session.write([create('k', { title: 'Old', createdBy: 'ada', n: 1 })]);
      expect(await session.write([update('k', { title: 'New', n: 2 })])).toEqual([
        { status: 'ok', destId: 'k' },
      ]);
      const rows = await run(client(), `SELECT title, "createdBy", n FROM ${table}`);
      expect(rows).toEqual([{ title: 'New', createdBy: 'ada', n: 2 }]);
    });

    it('writes a whole batch in one go and finds its keys afterwards', async () => {
      const table = freshTable();
      const destination = sql.destination({ client: client(), table, createTable: true });
      const session = await openSession(destination);
      const ops = Array.from({ length: 2500 }, (_, index) =>
        create(`r${index}`, { index, title: `Record ${index}` }),
      );
      const results = await session.write(ops);
      expect(results.every((result) => result.status === 'ok')).toBe(true);
      const [{ count }] = (await run(client(), `SELECT COUNT(*) AS count FROM ${table}`)) as [
        { count: unknown },
      ];
      expect(Number(count)).toBe(2500);
      const again = await openSession(destination);
      const found = await again.lookup([
        'r0',
        'r2499',
        'missing',
        ...ops.slice(1, 1200).map((op) => op.key),
      ]);
      expect(found.size).toBe(1201);
      expect(found.get('r2499')).toBe('r2499');
      expect(found.has('missing')).toBe(false);
    });

    it('marks archived rows, keeps them, and clears the mark on update', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true, archivedColumn: 'archived' }),
      );
      await session.write([create('a', { title: 'A' }), create('b', { title: 'B' })]);
      expect(await session.write([{ kind: 'archive', key: 'a', destId: 'a' }])).toEqual([
        { status: 'ok', destId: 'a' },
      ]);
      const flags = async () =>
        (await run(client(), `SELECT key, archived FROM ${table} ORDER BY key`)).map((row) => [
          row.key,
          Boolean(row.archived),
        ]);
      expect(await flags()).toEqual([
        ['a', true],
        ['b', false],
      ]);
      await session.write([update('a', { title: 'A again' })]);
      expect(await flags()).toEqual([
        ['a', false],
        ['b', false],
      ]);
    });

    it('refuses to archive without an archived column', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true }),
      );
      const [result] = await session.write([{ kind: 'archive', key: 'a', destId: 'a' }]);
      expect(result).toMatchObject({
        status: 'rejected',
        error: expect.stringContaining('archivedColumn'),
      });
    });

    it('deletes rows', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true }),
      );
      await session.write([create('a', { n: 1 }), create('b', { n: 2 }), create('c', { n: 3 })]);
      const results = await session.write([
        { kind: 'delete', key: 'a', destId: 'a' },
        { kind: 'delete', key: 'c', destId: 'c' },
      ]);
      expect(results).toEqual([
        { status: 'ok', destId: 'a' },
        { status: 'ok', destId: 'c' },
      ]);
      expect(await run(client(), `SELECT key FROM ${table}`)).toEqual([{ key: 'b' }]);
    });

    it('applies creates, updates and deletes of one key in the order given', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true }),
      );
      await session.write([
        create('k', { n: 1 }),
        update('k', { n: 2 }),
        { kind: 'delete', key: 'k', destId: 'k' },
        create('k', { n: 3 }),
      ]);
      expect(await run(client(), `SELECT key, n FROM ${table}`)).toEqual([{ key: 'k', n: 3 }]);
    });

    it('rejects a field without a column, naming it, and still writes the rest of the batch', async () => {
      const table = await userTable();
      const session = await openSession(sql.destination({ client: client(), table }));
      const results = await session.write([
        create('a', { title: 'A', colour: 'red' }),
        create('b', { title: 'B' }),
      ]);
      expect(results[0]).toMatchObject({
        status: 'rejected',
        error: expect.stringMatching(/record a: field `colour` has no column in table t_\d+/),
      });
      expect(results[1]).toEqual({ status: 'ok', destId: 'b' });
      expect(await run(client(), `SELECT key FROM ${table}`)).toEqual([{ key: 'b' }]);
    });

    it('maps fields to columns with the columns option', async () => {
      const table = await userTable();
      const session = await openSession(
        sql.destination({ client: client(), table, columns: { name: 'title' } }),
      );
      expect(await session.write([create('a', { name: 'Mapped' })])).toEqual([
        { status: 'ok', destId: 'a' },
      ]);
      expect(await run(client(), `SELECT title FROM ${table}`)).toEqual([{ title: 'Mapped' }]);
    });

    it('keeps fields without a column in the JSON column and merges them on update', async () => {
      const table = freshTable();
      const options = { client: client(), table, createTable: false, jsonColumn: 'extra' };
      const json = client().dialect === 'sqlite' ? 'JSON' : 'JSONB';
      await run(
        client(),
        `CREATE TABLE ${table} (key TEXT PRIMARY KEY, title TEXT, extra ${json})`,
      );
      const session = await openSession(sql.destination(options));
      await session.write([create('a', { title: 'A', 'first name': 'Ada', keep: 1, gone: 'x' })]);
      await session.write([update('a', { title: 'B', gone: null, added: [1, { two: 2 }] })]);
      const source = sql.source({
        client: client(),
        table,
        cursorColumn: 'title',
        jsonColumn: 'extra',
      });
      const [page] = await readPages(source, table);
      expect(page!.records[0]!.fields).toEqual({
        title: 'B',
        'first name': 'Ada',
        keep: 1,
        gone: null,
        added: [1, { two: 2 }],
      });
    });

    it('rejects a value with no SQL form, naming the record and the field', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true }),
      );
      const results = await session.write([
        create('bad', { ratio: Number.POSITIVE_INFINITY }),
        create('bad2', { meta: { when: new Date(Number.NaN) } }),
        create('good', { ratio: 1 }),
      ]);
      expect(results[0]).toMatchObject({
        status: 'rejected',
        error: expect.stringMatching(/record bad: field `ratio`/),
      });
      expect(results[1]).toMatchObject({
        status: 'rejected',
        error: expect.stringMatching(/record bad2: field `meta`.*`when`/),
      });
      expect(results[2]).toEqual({ status: 'ok', destId: 'good' });
    });

    it('rejects only the row the database refuses and writes the others', async () => {
      const table = freshTable();
      await run(client(), `CREATE TABLE ${table} (key TEXT PRIMARY KEY, title TEXT NOT NULL)`);
      const session = await openSession(sql.destination({ client: client(), table }));
      const results = await session.write([
        create('a', { title: 'A' }),
        create('b', { title: null }),
        create('c', { title: 'C' }),
      ]);
      expect(results.map((result) => result.status)).toEqual(['ok', 'rejected', 'ok']);
      expect(results[1]).toMatchObject({
        error: expect.stringMatching(new RegExp(`table ${table}, record b: .*null`, 'i')),
      });
      expect(await run(client(), `SELECT key FROM ${table} ORDER BY key`)).toEqual([
        { key: 'a' },
        { key: 'c' },
      ]);
    });

    it('adds a column when a new field arrives with createTable', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true }),
      );
      await session.write([create('a', { title: 'A' })]);
      await session.write([create('b', { title: 'B', score: 3.5 }), update('a', { score: 1 })]);
      expect(await run(client(), `SELECT key, title, score FROM ${table} ORDER BY key`)).toEqual([
        { key: 'a', title: 'A', score: 1 },
        { key: 'b', title: 'B', score: 3.5 },
      ]);
    });

    it('stores the body in the body column', async () => {
      const table = freshTable();
      const session = await openSession(
        sql.destination({ client: client(), table, createTable: true, bodyColumn: 'content' }),
      );
      await session.write([create('a', { title: 'A' }, '# Heading\n\nText')]);
      await session.write([update('a', { title: 'B' })]);
      expect(await run(client(), `SELECT title, content FROM ${table}`)).toEqual([
        { title: 'B', content: '# Heading\n\nText' },
      ]);
    });

    it('truncate removes every row', async () => {
      const table = freshTable();
      const destination = sql.destination({ client: client(), table, createTable: true });
      const session = await openSession(destination);
      await session.write([create('a', { n: 1 }), create('b', { n: 2 })]);
      await destination.truncate!();
      expect(await run(client(), `SELECT key FROM ${table}`)).toEqual([]);
      expect((await session.lookup(['a', 'b'])).size).toBe(0);
    });

    it('refuses to open a missing table unless asked to create it', async () => {
      const table = freshTable();
      await expect(openSession(sql.destination({ client: client(), table }))).rejects.toMatchObject(
        {
          code: 'CONFIG_INVALID',
          message: expect.stringContaining(`Table ${table} does not exist`),
        },
      );
    });

    it('refuses to open a table that lacks a configured column', async () => {
      const table = await userTable();
      await expect(
        openSession(sql.destination({ client: client(), table, archivedColumn: 'archived' })),
      ).rejects.toThrow(`Table ${table} has no column \`archived\``);
    });
  });

  describe(`sql source on ${backend}`, () => {
    it('confirms a missing key by looking its row up', async () => {
      const table = await userTable();
      await insert(table, 'a', 'kept', '2024-01-01T00:00:00Z');
      const source = sql.source({ client: client(), table, cursorColumn: 'updated_at' });
      const check = await source.confirmMissing!(table, ['a', 'b'], { telemetry });
      expect(check.found.map((record) => [record.key, record.fields.title])).toEqual([
        ['a', 'kept'],
      ]);
      expect(check.gone).toEqual(['b']);
    });

    it('reads every row in cursor order, a page at a time', async () => {
      const table = await userTable();
      for (let index = 0; index < 5; index++) {
        await insert(table, `k${index}`, `T${index}`, `2024-01-0${index + 1}T00:00:00Z`);
      }
      const source = sql.source({
        client: client(),
        table,
        cursorColumn: 'updated_at',
        pageSize: 2,
      });
      expect(source.mode).toBe('incremental');
      expect(await source.units()).toEqual([{ id: table }]);
      const pages = await readPages(source, table);
      expect(pages.map((page) => page.records.length)).toEqual([2, 2, 1]);
      expect(keysOf(pages)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      expect(pages[2]!.cursor).toMatchObject({ k: 'k4' });
      expect(pages[0]!.records[0]).toMatchObject({
        fields: { title: 'T0' },
        updatedAt: new Date('2024-01-01T00:00:00Z'),
      });
    });

    it('returns only rows changed since the cursor', async () => {
      const table = await userTable();
      await insert(table, 'a', 'A', '2024-01-01T00:00:00Z');
      await insert(table, 'b', 'B', '2024-01-02T00:00:00Z');
      await insert(table, 'c', 'C', '2024-01-03T00:00:00Z');
      const source = sql.source({ client: client(), table, cursorColumn: 'updated_at' });
      const first = await readPages(source, table);
      const cursor = first.at(-1)!.cursor;
      expect(await readPages(source, table, { cursor })).toEqual([]);
      await insert(table, 'a', 'A2', '2024-01-04T00:00:00Z');
      await insert(table, 'd', 'D', '2024-01-05T00:00:00Z');
      const next = await readPages(source, table, { cursor });
      expect(keysOf(next)).toEqual(['a', 'd']);
      expect(next[0]!.records[0]!.fields.title).toBe('A2');
    });

    it('misses no row that shares the last cursor value, across pages and after the cursor was taken', async () => {
      const table = await userTable();
      const same = '2024-06-01T12:00:00Z';
      await insert(table, 'a', 'A', '2024-06-01T11:00:00Z');
      for (const key of ['b', 'c', 'd']) await insert(table, key, key.toUpperCase(), same);
      const source = sql.source({
        client: client(),
        table,
        cursorColumn: 'updated_at',
        pageSize: 2,
      });
      const pages = await readPages(source, table);
      expect(keysOf(pages)).toEqual(['a', 'b', 'c', 'd']);
      expect(pages[0]!.cursor).toMatchObject({ k: 'b' });

      await insert(table, 'e', 'E', same);
      await insert(table, 'f', 'F', '2024-06-01T12:00:01Z');
      const later = await readPages(source, table, { cursor: pages.at(-1)!.cursor });
      expect(keysOf(later)).toEqual(['e', 'f']);
    });

    it('keeps paging through many rows that share one sub-millisecond cursor value', async () => {
      const table = await userTable();
      const same = '2024-06-01T12:00:00.123456Z';
      for (const key of ['a', 'b', 'c', 'd', 'e']) await insert(table, key, key, same);
      const source = sql.source({
        client: client(),
        table,
        cursorColumn: 'updated_at',
        pageSize: 2,
      });
      expect(keysOf(await readPages(source, table))).toEqual(['a', 'b', 'c', 'd', 'e']);
    });

    it('re-reads the look-back window to catch rows committed late with older cursor values', async () => {
      const table = await userTable();
      await insert(table, 'b', 'B', '2024-06-01T12:00:00Z');
      await insert(table, 'c', 'C', '2024-06-01T12:00:00Z');
      const plain = sql.source({ client: client(), table, cursorColumn: 'updated_at' });
      const cursor = (await readPages(plain, table)).at(-1)!.cursor;
      // Committed late: same cursor value but a smaller key, and a slightly older value.
      await insert(table, 'a', 'A', '2024-06-01T12:00:00Z');
      await insert(table, 'z', 'Z', '2024-06-01T11:59:30Z');
      await insert(table, 'old', 'Old', '2024-06-01T11:00:00Z');
      expect(await readPages(plain, table, { cursor })).toEqual([]);
      const withLookback = sql.source({
        client: client(),
        table,
        cursorColumn: 'updated_at',
        lookbackMs: 60_000,
      });
      const keys = keysOf(await readPages(withLookback, table, { cursor }));
      expect(keys).toEqual(expect.arrayContaining(['a', 'z']));
      expect(keys).not.toContain('old');
    });

    it('reads rows without a cursor value first, once', async () => {
      const table = await userTable();
      await insert(table, 'n1', 'N1', null);
      await insert(table, 'a', 'A', '2024-01-01T00:00:00Z');
      await insert(table, 'n2', 'N2', null);
      const source = sql.source({
        client: client(),
        table,
        cursorColumn: 'updated_at',
        pageSize: 1,
      });
      const pages = await readPages(source, table);
      expect(keysOf(pages)).toEqual(['n1', 'n2', 'a']);
      expect(await readPages(source, table, { cursor: pages.at(-1)!.cursor })).toEqual([]);
      expect(keysOf(await readPages(source, table, { cursor: pages[0]!.cursor }))).toEqual([
        'n2',
        'a',
      ]);
    });

    it('reads only the requested keys on a targeted read and keeps the cursor', async () => {
      const table = await userTable();
      for (const key of ['a', 'b', 'c']) await insert(table, key, key, '2024-01-01T00:00:00Z');
      const source = sql.source({ client: client(), table, cursorColumn: 'updated_at' });
      const cursor = { v: 'x', k: 'y' };
      const pages = await readPages(source, table, { keys: ['c', 'a', 'missing'], cursor });
      expect(keysOf(pages)).toEqual(['a', 'c']);
      expect(pages[0]!.cursor).toEqual(cursor);
    });

    it('reads only the mapped columns, under their field names', async () => {
      const table = await userTable();
      await insert(table, 'a', 'A', '2024-01-01T00:00:00Z');
      const source = sql.source({
        client: client(),
        table,
        cursorColumn: 'updated_at',
        columns: { name: 'title' },
      });
      const [page] = await readPages(source, table);
      expect(page!.records[0]!.fields).toEqual({ name: 'A' });
      expect(page!.records[0]!.updatedAt).toEqual(new Date('2024-01-01T00:00:00Z'));
    });

    it('queryArrays returns rows as arrays in the order of its column names', async () => {
      const table = await userTable();
      await insert(table, 'a', 'A', '2024-01-01T00:00:00Z');
      await insert(table, 'b', null as never, null);
      const { columns, rows } = await client().queryArrays!(
        `SELECT title, key, 7 AS seven FROM ${table} ORDER BY key`,
      );
      expect(columns).toEqual(['title', 'key', 'seven']);
      expect(rows).toEqual([
        ['A', 'a', 7],
        [null, 'b', 7],
      ]);
      // The same statement again, as rows of objects: reading arrays left no mark on it.
      expect(
        await client().query(`SELECT title, key, 7 AS seven FROM ${table} ORDER BY key`),
      ).toEqual([
        { title: 'A', key: 'a', seven: 7 },
        { title: null, key: 'b', seven: 7 },
      ]);
    });

    it('queryArrays names the columns a SELECT * has after the table gained one', async () => {
      const table = await userTable();
      await insert(table, 'a', 'A', '2024-01-01T00:00:00Z');
      const select = `SELECT *, key AS again FROM ${table}`;
      const before = await client().queryArrays!(select);
      expect(before.columns).toHaveLength(before.rows[0]!.length);
      await run(client(), `ALTER TABLE ${table} ADD COLUMN added TEXT`);
      const after = await client().queryArrays!(select);
      expect(after.columns).toEqual([...before.columns.slice(0, -1), 'added', 'again']);
      expect(after.rows[0]).toHaveLength(after.columns.length);
      expect(after.rows[0]!.at(-1)).toBe('a');
    });

    it('reads pages as arrays, and the same records through a client without queryArrays', async () => {
      const table = freshTable();
      await run(
        client(),
        `CREATE TABLE ${table} (key TEXT PRIMARY KEY, title TEXT, n INTEGER, extra ${client().dialect === 'sqlite' ? 'JSON' : 'JSONB'}, body TEXT, updated_at ${timeType()})`,
      );
      for (let index = 0; index < 5; index++) {
        await run(
          client(),
          'INSERT INTO ' +
            table +
            ' (key, title, n, extra, body, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
          [
            `k${index}`,
            `T${index}`,
            index,
            JSON.stringify({ more: index }),
            `body ${index}`,
            `2024-01-0${index + 1}T00:00:00Z`,
          ],
        );
      }
      const calls: string[] = [];
      const inner = client();
      const counting: SqlClient = {
        dialect: inner.dialect,
        query: (text, params) => {
          calls.push('query');
          return inner.query(text, params);
        },
        queryArrays: (text, params) => {
          calls.push('arrays');
          return inner.queryArrays!(text, params);
        },
        transaction: (statements) => inner.transaction(statements),
        close: async () => {},
      };
      const objectsOnly: SqlClient = {
        dialect: inner.dialect,
        query: (text, params) => inner.query(text, params),
        transaction: (statements) => inner.transaction(statements),
        close: async () => {},
      };
      const read = (through: SqlClient, options: { columns?: Record<string, string> } = {}) =>
        readPages(
          sql.source({
            client: through,
            table,
            cursorColumn: 'updated_at',
            jsonColumn: 'extra',
            bodyColumn: 'body',
            pageSize: 2,
            ...options,
          }),
          table,
        );
      const pages = await read(counting);
      // The pass of rows without a cursor value (none), then three pages: all as arrays.
      expect(calls.filter((call) => call === 'arrays')).toHaveLength(4);
      expect(pages.map((page) => page.records.length)).toEqual([2, 2, 1]);
      expect(pages[0]!.records[1]).toEqual({
        key: 'k1',
        fields: { more: 1, title: 'T1', n: 1, updated_at: expect.anything() },
        body: 'body 1',
        updatedAt: new Date('2024-01-02T00:00:00Z'),
      });
      expect(await read(objectsOnly)).toEqual(pages);
      const mapped = { columns: { name: 'title', count: 'n' } };
      expect(await read(objectsOnly, mapped)).toEqual(await read(counting, mapped));
      expect((await read(counting, mapped))[2]!.records[0]!.fields).toEqual({
        more: 4,
        name: 'T4',
        count: 4,
      });
    });

    it('refuses a cursor of the wrong shape, naming the table', async () => {
      const table = await userTable();
      const source = sql.source({ client: client(), table, cursorColumn: 'updated_at' });
      await expect(readPages(source, table, { cursor: 'r12.yaml' })).rejects.toMatchObject({
        code: 'CURSOR_INVALID',
        message: expect.stringContaining(`sql table ${table}`),
      });
    });

    it('refuses a cursor column the table does not have', async () => {
      const table = await userTable();
      const source = sql.source({ client: client(), table, cursorColumn: 'modified' });
      await expect(readPages(source, table)).rejects.toThrow(
        `Table ${table} has no column \`modified\``,
      );
    });
  });
}
