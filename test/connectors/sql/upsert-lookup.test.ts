import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import type { SqlClient } from '../../../src/connectors/sql/index.js';
import * as sql from '../../../src/connectors/sql/index.js';
import { openSqliteStore } from '../../../src/store/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'keepsync-upsert-'));
const database = sql.sqliteClient(join(dir, 'dest.db'));
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The database, counting the destination's key lookups. */
function counting(client: SqlClient) {
  const counter = { lookups: 0 };
  const wrapped: SqlClient = {
    dialect: client.dialect,
    query(text, params) {
      if (/^SELECT "key" AS k FROM/.test(text)) counter.lookups++;
      return client.query(text, params);
    },
    transaction: (statements) => client.transaction(statements),
    close: async () => {},
  };
  return { counter, client: wrapped };
}

const records = (count: number) =>
  Array.from({ length: count }, (_, index) => ({
    key: `r${index}`,
    fields: { title: `Record ${index}`, n: index },
  }));

async function sync(table: string, client: SqlClient, createOnly?: string[]) {
  const store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32) });
  try {
    const pipeline = definePipeline({
      name: table,
      source: memory.source({ units: { u: () => records(25) }, pageSize: 10 }),
      destination: sql.destination({ client, table, createTable: true }),
      ...(createOnly ? { route: { createOnly } } : {}),
    });
    return await runPipeline({ store, pipeline, unit: 'u' });
  } finally {
    await store.close();
  }
}

describe('sql destination: creates are upserts by key', () => {
  it('writes a first sync without looking keys up, and a lost state rewrites in place', async () => {
    const { counter, client } = counting(database);
    expect((await sync('fresh', client)).stats).toMatchObject({ created: 25, pages: 3 });
    expect(counter.lookups).toBe(0);
    // A column the records do not carry, filled by someone else, survives the rewrite.
    await run(database, 'ALTER TABLE fresh ADD COLUMN note TEXT');
    await run(database, "UPDATE fresh SET note = 'kept', title = 'edited' WHERE key = 'r3'");
    // A new store has no links: every record is written again, onto the same rows.
    expect((await sync('fresh', client)).status).toBe('succeeded');
    expect(counter.lookups).toBe(0);
    expect(await run(database, 'SELECT COUNT(*) AS n FROM fresh')).toEqual([{ n: 25 }]);
    expect(await run(database, "SELECT title, note FROM fresh WHERE key = 'r3'")).toEqual([
      { title: 'Record 3', note: 'kept' },
    ]);
  });

  it('still looks keys up when create-only fields must keep their stored values', async () => {
    const { counter, client } = counting(database);
    await sync('guarded', client, ['title']);
    await run(database, "UPDATE guarded SET title = 'edited' WHERE key = 'r3'");
    const lookupsBefore = counter.lookups;
    expect((await sync('guarded', client, ['title'])).stats).toMatchObject({ updated: 25 });
    expect(counter.lookups).toBeGreaterThan(lookupsBefore);
    expect(await run(database, "SELECT title FROM guarded WHERE key = 'r3'")).toEqual([
      { title: 'edited' },
    ]);
  });
});
