import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient, SqlStatement } from '../../../src/connectors/sql/index.js';
import * as sql from '../../../src/connectors/sql/index.js';
import type { WriteOp } from '../../../src/sync/index.js';
import { freshDatabase } from '../../support/postgres.js';
import { create, openSession, run, update } from './helpers.js';

/**
 * On PostgreSQL the sql destination inserts the rows of creates with COPY (half the server's
 * work of an upsert). The rows must come out as the upsert writes them, and a create whose row
 * exists already (a store that was reset) must still end as an upsert.
 */

const database = freshDatabase('copy');
let client: SqlClient;

/** The client, recording each transaction's statements; `copies: false` hides its COPY. */
function recording(inner: SqlClient, copies = true) {
  const transactions: SqlStatement[][] = [];
  const wrapped: SqlClient = {
    dialect: inner.dialect,
    query: (text, params) => inner.query(text, params),
    transaction(statements) {
      transactions.push([...statements]);
      return inner.transaction(statements);
    },
    ...(copies && inner.supportsCopy ? { supportsCopy: () => inner.supportsCopy!() } : {}),
    close: () => inner.close(),
  };
  const copied = () =>
    transactions.map((statements) => statements.some((s) => s.copyData !== undefined));
  return { client: wrapped, transactions, copied };
}

beforeAll(async () => {
  client = sql.postgresClient(await database.pool());
});

afterAll(async () => {
  await client?.close();
  await database.drop();
});

/** Values that COPY's text format has to escape or spell as the JSON upsert does. */
function awkwardCreates(): WriteOp[] {
  return [
    create('plain', {
      title: 'a title',
      n: 1.5,
      big: 12345678901234,
      on: true,
      at: new Date('2024-05-06T07:08:09.123Z'),
      tags: ['x', 'y'],
      nested: { a: { b: [1, null, 'tab\there'] } },
      none: null,
    }),
    create('escapes', {
      title: 'tab\tnewline\nreturn\rbackslash\\ end \\. and \\N',
      n: -0.000001,
      big: 1e21,
      on: false,
      at: new Date('1999-12-31T23:59:59.999Z'),
      tags: [],
      nested: { quote: 'say "hi"\\n' },
      none: null,
    }),
    create('unicode', {
      title: 'ünïcødé 😀 \u2028',
      n: 0,
      big: -5,
      on: true,
      at: new Date('2030-01-01T00:00:00Z'),
      tags: ['\n'],
      nested: {},
      none: 'now text',
    }),
  ];
}

describe('sql destination COPY on PostgreSQL', () => {
  it('inserts creates by COPY with the same rows the upsert writes', async () => {
    const copying = recording(client);
    const upserting = recording(client, false);
    const options = { createTable: true, jsonColumn: 'extra', bodyColumn: 'body' };
    await run(client, 'CREATE TABLE by_copy (key TEXT PRIMARY KEY, extra JSONB, body TEXT)');
    await run(client, 'CREATE TABLE by_upsert (key TEXT PRIMARY KEY, extra JSONB, body TEXT)');
    const ops = [
      ...awkwardCreates(),
      create('with-body', { title: 'b' }, 'body\twith\\tabs\nand lines'),
    ];
    for (const [target, table] of [
      [copying, 'by_copy'],
      [upserting, 'by_upsert'],
    ] as const) {
      const session = await openSession(
        sql.destination({ client: target.client, table, ...options }),
      );
      // Twice: the first write adds the columns, the second finds them.
      expect((await session.write(ops.slice(0, 1))).map((r) => r.status)).toEqual(['ok']);
      expect((await session.write(ops.slice(1))).map((r) => r.status)).toEqual(
        ops.slice(1).map(() => 'ok'),
      );
    }
    expect(copying.copied()).toEqual([true, true]);
    expect(upserting.copied()).toEqual([false, false]);
    const byCopy = await run(client, 'SELECT * FROM by_copy ORDER BY key');
    const byUpsert = await run(client, 'SELECT * FROM by_upsert ORDER BY key');
    expect(byCopy).toHaveLength(ops.length);
    expect(byCopy).toEqual(byUpsert);
    expect(byCopy.find((row) => row.key === 'escapes')?.title).toBe(
      'tab\tnewline\nreturn\rbackslash\\ end \\. and \\N',
    );
  });

  it('upserts a create whose row exists, and upserts the creates after it', async () => {
    await run(
      client,
      'CREATE TABLE existing (key TEXT PRIMARY KEY, title TEXT, n DOUBLE PRECISION)',
    );
    await run(client, "INSERT INTO existing VALUES ('b', 'old', 1)");
    const target = recording(client);
    const session = await openSession(
      sql.destination({ client: target.client, table: 'existing', createTable: true }),
    );
    const first = await session.write([
      create('a', { title: 'new a', n: 2 }),
      create('b', { title: 'new b', n: 3 }),
    ]);
    expect(first.map((result) => result.status)).toEqual(['ok', 'ok']);
    const second = await session.write([create('c', { title: 'new c', n: 4 })]);
    expect(second.map((result) => result.status)).toEqual(['ok']);
    // The COPY failed on b and was rolled back; the upsert wrote both; no COPY after that.
    expect(target.copied()).toEqual([true, false, false]);
    expect(await run(client, 'SELECT key, title, n FROM existing ORDER BY key')).toEqual([
      { key: 'a', title: 'new a', n: 2 },
      { key: 'b', title: 'new b', n: 3 },
      { key: 'c', title: 'new c', n: 4 },
    ]);
  });

  it('never copies into a table whose key column alone is not unique', async () => {
    await run(client, 'CREATE TABLE loose_key (key TEXT, title TEXT)');
    await run(client, 'CREATE TABLE pair_key (key TEXT, title TEXT, UNIQUE (key, title))');
    await run(client, 'CREATE TABLE partial_key (key TEXT, title TEXT)');
    await run(client, "CREATE UNIQUE INDEX partial_key_key ON partial_key (key) WHERE title <> ''");
    for (const table of ['loose_key', 'pair_key', 'partial_key']) {
      await run(client, `INSERT INTO ${table} VALUES ('a', 'old')`);
      const target = recording(client);
      const session = await openSession(sql.destination({ client: target.client, table }));
      const [result] = await session.write([create('a', { title: 'new' })]);
      // The upsert's own answer: ON CONFLICT (key) needs a unique key; no second row of `a`.
      expect(result).toMatchObject({
        status: 'unavailable',
        error: expect.stringContaining('give `key` a PRIMARY KEY or UNIQUE constraint'),
      });
      expect(target.copied()).toEqual([false]);
      expect(await run(client, `SELECT title FROM ${table} WHERE key = 'a'`)).toEqual([
        { title: 'old' },
      ]);
    }
  });

  it('keeps the order of a key created twice and updated in one write', async () => {
    await run(client, 'CREATE TABLE repeated (key TEXT PRIMARY KEY, title TEXT)');
    const target = recording(client);
    const session = await openSession(
      sql.destination({ client: target.client, table: 'repeated', createTable: true }),
    );
    const results = await session.write([
      create('a', { title: 'first' }),
      create('b', { title: 'b' }),
      create('a', { title: 'second' }),
      update('b', { title: 'b again' }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(target.copied()).toEqual([true]);
    // Only the first group is a COPY: the repeated key and the update are upserts after it.
    expect(target.transactions[0]!.map((statement) => statement.copyData !== undefined)).toEqual([
      true,
      false,
    ]);
    expect(await run(client, 'SELECT key, title FROM repeated ORDER BY key')).toEqual([
      { key: 'a', title: 'second' },
      { key: 'b', title: 'b again' },
    ]);
  });

  it('rejects the one bad create of a COPY batch as the upsert does, naming the record', async () => {
    const outcomes: string[][] = [];
    for (const [name, copies] of [
      ['bad_copy', true],
      ['bad_upsert', false],
    ] as const) {
      await run(client, `CREATE TABLE ${name} (key TEXT PRIMARY KEY, flag BOOLEAN)`);
      const target = recording(client, copies);
      const session = await openSession(sql.destination({ client: target.client, table: name }));
      const results = await session.write([
        create('good', { flag: true }),
        create('bad', { flag: 'not a boolean' }),
        create('fine', { flag: false }),
      ]);
      outcomes.push(
        results.map((result) => `${result.status} ${'error' in result ? result.error : ''}`),
      );
      expect(await run(client, `SELECT key, flag FROM ${name} ORDER BY key`)).toEqual([
        { key: 'fine', flag: false },
        { key: 'good', flag: true },
      ]);
    }
    expect(outcomes[0]).toEqual(
      outcomes[1]!.map((outcome) => outcome.replace('bad_upsert', 'bad_copy')),
    );
    expect(outcomes[0]![1]).toMatch(/^rejected table bad_copy, record bad: /);
  });

  it('sends a COPY alone without BEGIN and COMMIT, atomic all the same', async () => {
    // One connection, so a COPY that failed must leave it fit for the next transaction.
    const pool = await database.pool({ max: 1 });
    const sent = recordQueries(pool);
    const alone = sql.postgresClient(pool);
    await run(alone, 'CREATE TABLE copied_alone (key TEXT PRIMARY KEY, n BIGINT)');
    const copy = (data: string): SqlStatement => ({
      sql: 'COPY copied_alone (key, n) FROM STDIN',
      params: [],
      copyData: data,
    });
    sent.length = 0;
    await alone.transaction([copy('a\t1\nb\t2\n')]);
    expect(sent).toEqual(['COPY copied_alone (key, n) FROM STDIN']);
    // A row of key a exists: the whole COPY is refused, c included.
    await expect(alone.transaction([copy('c\t3\na\t4\n')])).rejects.toThrow(/duplicate key/);
    // Two statements still make one transaction.
    sent.length = 0;
    await alone.transaction([
      copy('d\t5\n'),
      { sql: 'UPDATE copied_alone SET n = n + 10 WHERE key = $1', params: ['a'] },
    ]);
    expect(sent).toEqual([
      'BEGIN',
      'COPY copied_alone (key, n) FROM STDIN',
      'UPDATE copied_alone SET n = n + 10 WHERE key = $1',
      'COMMIT',
    ]);
    expect(await run(alone, 'SELECT key, n FROM copied_alone ORDER BY key')).toEqual([
      { key: 'a', n: '11' },
      { key: 'b', n: '2' },
      { key: 'd', n: '5' },
    ]);
  });

  it("sends a COPY's rows with the query, before the server asks for them", async () => {
    const pool = await database.pool({ max: 1 });
    const events = watchCopyProtocol(pool);
    const alone = sql.postgresClient(pool);
    await run(alone, 'CREATE TABLE copied_eagerly (key TEXT PRIMARY KEY, n BIGINT)');
    events.length = 0;
    await alone.transaction([
      { sql: 'COPY copied_eagerly (key, n) FROM STDIN', params: [], copyData: 'a\t1\nb\t2\n' },
    ]);
    // Waiting for CopyInResponse first would cost a round trip per page.
    expect(events).toEqual(['sent CopyDone', 'received CopyInResponse']);
    expect(await run(alone, 'SELECT key, n FROM copied_eagerly ORDER BY key')).toEqual([
      { key: 'a', n: '1' },
      { key: 'b', n: '2' },
    ]);
  });

  it('leaves the connection fit for the next query when a COPY fails before its rows', async () => {
    // The rows went out with the query: the server has to skip them, not read them as queries.
    const pool = await database.pool({ max: 1 });
    const alone = sql.postgresClient(pool);
    const copyInto = (table: string): SqlStatement => ({
      sql: `COPY ${table} (key, n) FROM STDIN`,
      params: [],
      copyData: 'SELECT 1;\t1\n',
    });
    await expect(alone.transaction([copyInto('no_such_table')])).rejects.toThrow(/does not exist/);
    await run(alone, 'CREATE TABLE copied_after_failure (key TEXT PRIMARY KEY, n BIGINT)');
    await alone.transaction([copyInto('copied_after_failure')]);
    expect(await run(alone, 'SELECT key, n FROM copied_after_failure')).toEqual([
      { key: 'SELECT 1;', n: '1' },
    ]);
  });
});

/** The order in which a connection sends CopyDone and receives CopyInResponse. */
function watchCopyProtocol(pool: pg.Pool): string[] {
  const events: string[] = [];
  pool.on('connect', (client) => {
    const connection = (client as unknown as { connection: PgWireConnection }).connection;
    // Ahead of pg's own listener, which may write the rows as it handles the message.
    connection.prependListener('copyInResponse', () => events.push('received CopyInResponse'));
    const write = connection.stream.write.bind(connection.stream);
    connection.stream.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
      if (chunk.length === 5 && chunk[0] === 0x63) events.push('sent CopyDone');
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as never;
  });
  return events;
}

interface PgWireConnection {
  prependListener(event: string, listener: () => void): void;
  stream: { write(chunk: Uint8Array, ...rest: unknown[]): boolean };
}

/** The text of every statement the pool's connections send (a COPY stream's as its SQL). */
function recordQueries(pool: pg.Pool): string[] {
  const sent: string[] = [];
  // Emitted once per new connection; pool.query runs through a connection as well.
  pool.on('connect', (connection) => {
    const query = connection.query.bind(connection) as (...args: unknown[]) => unknown;
    connection.query = ((...args: unknown[]) => {
      const [statement] = args;
      const text =
        typeof statement === 'string' ? statement : (statement as { text?: unknown }).text;
      if (typeof text === 'string') sent.push(text);
      return query(...args);
    }) as never;
  });
  return sent;
}
