import pg from 'pg';
import { afterAll, expect, it, vi } from 'vitest';
import { type DocumentStore, openPostgresDocumentStore } from '../../src/server/index.js';
import type { Decide, StoreChange } from '../../src/server/store/types.js';
import { type PlanNode, rowsRead } from '../support/pg-plan.js';
import { freshDatabase } from '../support/postgres.js';

const database = freshDatabase('batchplan');
const originalQuery = pg.Client.prototype.query;
afterAll(() => database.drop());

const write: Decide<StoreChange> = (change) => ({
  kind: 'write',
  operation: 'upsert',
  data: JSON.stringify({ title: change.docId }),
  version: `v-${change.docId}`,
  editVersion: `v-${change.docId}`,
  changeId: change.idempotencyKey,
  result: { doc_id: change.docId, collection: change.collection, status: 'accepted' },
});

function push(store: DocumentStore, scope: string, ids: string[]) {
  return store.applyBatch(
    {
      scope,
      clientId: 'device',
      actorId: 'user',
      atomic: false,
      changes: ids.map((id) => ({ collection: 'tasks', docId: id, idempotencyKey: `k-${id}` })),
    },
    write,
  );
}

it('reads a push’s documents by key, not every document of its scope, when statistics undercount the scope', async () => {
  const url = await database.url();
  const store = await openPostgresDocumentStore({ connectionString: url });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Statistics taken while the tenant was small, as for a tenant that grew since: the
    // planner believes scope `big` holds almost nothing.
    for (let scope = 0; scope < 20; scope++)
      await push(
        store,
        `small-${scope}`,
        Array.from({ length: 100 }, (_, n) => `s${n}`),
      );
    await admin.query('ALTER TABLE keepsync.sync_documents SET (autovacuum_enabled = false)');
    await admin.query('ANALYZE keepsync.sync_documents');
    for (let batch = 0; batch < 6; batch++)
      await push(
        store,
        'big',
        Array.from({ length: 500 }, (_, n) => `d${batch}-${n}`),
      );

    const reads: Array<{ text: string; values: unknown[] }> = [];
    const query = vi.spyOn(pg.Client.prototype, 'query');
    query.mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const [first, second] = args as [string | pg.QueryConfig, unknown[] | undefined];
      const text = typeof first === 'string' ? first : first.text;
      const values = typeof first === 'string' ? second : first.values;
      if (/^\s*SELECT/.test(text) && text.includes('sync_documents'))
        reads.push({ text, values: values ?? [] });
      return originalQuery.apply(this, args as never);
    });
    const ids = [
      ...Array.from({ length: 25 }, (_, n) => `d0-${n}`),
      ...Array.from({ length: 25 }, (_, n) => `new-${n}`),
    ];
    try {
      const outcome = await push(store, 'big', ids);
      expect(outcome.results.every((result) => result.status === 'accepted')).toBe(true);
    } finally {
      query.mockRestore();
    }

    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      const { rows } = await admin.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${read.text}`,
        read.values as unknown[],
      );
      const plan = rows[0]['QUERY PLAN'][0].Plan as PlanNode;
      // One probe a named document: the 25 that exist, not the scope's 3,025.
      expect(rowsRead(plan, 'sync_documents')).toBeLessThanOrEqual(ids.length);
    }
  } finally {
    await admin.end();
    await store.close();
  }
});

it('sends pushes and pulls as unnamed statements when prepared statements are turned off (for poolers)', async () => {
  const names = async (preparedStatements: boolean | undefined) => {
    const store = await openPostgresDocumentStore({
      connectionString: await database.url(),
      schema: `prepared_${preparedStatements}`,
      preparedStatements,
    });
    const sent: Array<string | undefined> = [];
    const query = vi.spyOn(pg.Client.prototype, 'query');
    query.mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | pg.QueryConfig;
      if (typeof first !== 'string') sent.push(first.name);
      return originalQuery.apply(this, args as never);
    });
    try {
      await push(store, 'tenant', ['a', 'b']);
      const page = await store.pullEncoded!({
        scope: 'tenant',
        afterSeq: 0,
        collections: null,
        limit: 10,
      });
      expect(page.count).toBe(2);
    } finally {
      query.mockRestore();
      await store.close();
    }
    return sent;
  };
  const named = await names(undefined);
  expect(named.length).toBeGreaterThanOrEqual(3);
  expect(named.every((name) => name?.startsWith('keepsync_'))).toBe(true);
  const unnamed = await names(false);
  expect(unnamed.length).toBe(named.length);
  expect(unnamed.every((name) => name === undefined)).toBe(true);
});

it('sends BEGIN with the document locks, four round trips a push, locking the keys other writers lock', async () => {
  const url = await database.url();
  const store = await openPostgresDocumentStore({ connectionString: url, schema: 'round_trips' });
  const ids = ["it's", 'back\\slash', 'quote"d', 'ünï'];
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const sent: string[] = [];
  const query = vi.spyOn(pg.Client.prototype, 'query');
  try {
    query.mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | pg.QueryConfig;
      if (this !== admin) sent.push(typeof first === 'string' ? first : first.text);
      return originalQuery.apply(this, args as never);
    });
    const first = await push(store, 'tenant', ids);
    expect(first.results.map((result) => result.status)).toEqual(ids.map(() => 'accepted'));
    expect(sent).toHaveLength(4);
    expect(sent[0]).toMatch(/^BEGIN; SELECT count\(pg_advisory_xact_lock/);
    expect(sent[3]).toBe('COMMIT');

    // A writer holding one document's lock, keyed as the lock statement keys it (bound as a
    // parameter here): the push of that document waits for it.
    await admin.query('BEGIN');
    await admin.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `tenant\u001ftasks\u001f${ids[1]}`,
    ]);
    let done = false;
    const waiting = push(store, 'tenant', [ids[1]!]).then((outcome) => {
      done = true;
      return outcome;
    });
    for (let tries = 0; ; tries++) {
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      if (rows[0].n > 0) break;
      if (tries > 200) throw new Error('the push never waited for the lock');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(done).toBe(false);
    await admin.query('COMMIT');
    // The same idempotency key as before: answered as the first push was, nothing appended.
    expect((await waiting).results[0]?.status).toBe('accepted');
    const page = await store.pull({ scope: 'tenant', afterSeq: 0, collections: null, limit: 10 });
    expect(page.entries.map((entry) => entry.docId)).toEqual(ids);
  } finally {
    query.mockRestore();
    await admin.end();
    await store.close();
  }
});
