import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as keepsync from '../../../src/connectors/keepsync/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import * as sql from '../../../src/connectors/sql/index.js';
import { openSqliteDocumentStore } from '../../../src/server/index.js';
import { definePipeline, runPipeline, type Source } from '../../../src/sync/index.js';
import { openStream, tempSqlitePath } from '../../server/helpers.js';
import { memoryStore } from '../../sync/helpers.js';
import { liveServer, onCleanup, pull, push } from './helpers.js';

function sqlTable() {
  const root = mkdtempSync(join(tmpdir(), 'keepsync-connector-'));
  const db = new Database(join(root, 'app.db'));
  db.exec('CREATE TABLE tasks (key TEXT PRIMARY KEY, title TEXT, done INTEGER, updated_at TEXT)');
  let clock = Date.UTC(2024, 0, 1);
  const insert = db.prepare('INSERT INTO tasks VALUES (?, ?, ?, ?)');
  const store = memoryStore();
  onCleanup(async () => {
    await store.close();
    db.close();
    rmSync(root, { recursive: true, force: true });
  });
  const stamp = () => {
    clock += 60_000;
    return new Date(clock).toISOString();
  };
  return {
    db,
    store,
    stamp,
    client: sql.sqliteClient(db),
    insert: (key: string, title: string, done: number) => insert.run(key, title, done, stamp()),
  };
}

describe('keepsync destination: a SQL table mirrored into an offline server collection', () => {
  it('reaches clients over HTTP and live, re-runs write nothing, source deletes become tombstones', async () => {
    const { running, store: docs, scope, jwt } = await liveServer();
    const table = sqlTable();
    table.insert('t1', 'Buy milk', 0);
    table.insert('t2', 'Walk dog', 1);
    // Full passes, so a row deleted from the table is noticed (the sql source alone is
    // incremental and never sees deleted rows).
    const rows: Source = {
      ...sql.source({
        client: table.client,
        table: 'tasks',
        cursorColumn: 'updated_at',
        columns: { title: 'title', done: 'done' },
      }),
      mode: 'full',
    };
    const pipeline = definePipeline({
      name: 'tasks-to-app',
      source: rows,
      destination: keepsync.destination({
        server: running.server,
        scope,
        collection: 'tasks',
        actor: 'erp-import',
      }),
      deletes: 'delete',
    });
    const run = () => runPipeline({ store: table.store, pipeline, unit: 'tasks' });

    const stream = await openStream(running.url, `?token=${jwt}`);
    onCleanup(() => stream.close());
    stream.send({ type: 'subscribe', since: '0', collections: ['tasks'] });
    await stream.next((message) => message.type === 'caught_up');

    const first = await run();
    expect(first.status).toBe('succeeded');
    expect(first.stats).toMatchObject({ created: 2, failed: 0 });
    const pulled = await pull(running, jwt, 'tasks');
    expect(
      pulled.changes.map(({ doc_id, operation, data, client_id }) => ({
        doc_id,
        operation,
        data,
        client_id,
      })),
    ).toEqual([
      {
        doc_id: 't1',
        operation: 'upsert',
        data: { title: 'Buy milk', done: 0 },
        client_id: 'erp-import',
      },
      {
        doc_id: 't2',
        operation: 'upsert',
        data: { title: 'Walk dog', done: 1 },
        client_id: 'erp-import',
      },
    ]);
    expect(await stream.next((message) => message.type === 'change')).toMatchObject({
      doc_id: 't1',
      data: { title: 'Buy milk', done: 0 },
    });

    // A re-run with nothing changed appends nothing to the oplog.
    const seqBefore = await docs.lastSeq(scope);
    const again = await run();
    expect(again.stats).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(await docs.lastSeq(scope)).toBe(seqBefore);

    // An app user adds a field of their own; the next update patches only the synced fields.
    await push(running, jwt, 'tasks', { t1: { title: 'Buy milk', done: 0, note: 'oat milk' } });
    table.db
      .prepare("UPDATE tasks SET done = 1, updated_at = ? WHERE key = 't1'")
      .run(table.stamp());
    const updated = await run();
    expect(updated.stats).toMatchObject({ updated: 1, created: 0 });
    const stored = await docs.getDocument(scope, 'tasks', 't1');
    expect(JSON.parse(stored!.data!)).toEqual({ title: 'Buy milk', done: 1, note: 'oat milk' });

    // Deleted at the source: a tombstone that a client pulling from its cursor receives.
    const cursor = (await pull(running, jwt, 'tasks')).lastSeq;
    table.db.prepare("DELETE FROM tasks WHERE key = 't2'").run();
    const deleted = await run();
    expect(deleted.stats).toMatchObject({ deleted: 1 });
    const after = await pull(running, jwt, 'tasks', cursor);
    expect(
      after.changes.map(({ doc_id, operation, data }) => ({ doc_id, operation, data })),
    ).toEqual([{ doc_id: 't2', operation: 'delete', data: null }]);
    // A live client receives the tombstone as well.
    await stream.next(
      (message) =>
        message.type === 'change' && message.doc_id === 't2' && message.operation === 'delete',
    );
    expect((await docs.getDocument(scope, 'tasks', 't2'))?.deleted).toBe(true);
  });

  it('writes through the document store alone, and lookup finds documents written before a crash', async () => {
    const { running, store: docs, scope, jwt } = await liveServer();
    const dest = keepsync.destination({ store: docs, scope, collection: 'tasks' });
    const telemetry = { retried() {}, waitedForRateLimit() {} };
    const session = await dest.open({ pipeline: 'p', unit: 'u', telemetry });
    try {
      const results = await session.write([
        {
          kind: 'create',
          key: 'a',
          record: { key: 'a', fields: { due: new Date(Date.UTC(2024, 4, 1)) }, body: '# Notes' },
        },
        { kind: 'create', key: 'bad\u0000key', record: { key: 'bad\u0000key', fields: {} } },
        { kind: 'create', key: 'b', record: { key: 'b', fields: { n: 1 } } },
      ]);
      expect(results[0]).toEqual({ status: 'ok', destId: 'a' });
      expect(results[1]).toMatchObject({ status: 'rejected' });
      expect((results[1] as { error: string }).error).toBe(
        'record bad\u0000key: `doc_id` must not contain NUL characters',
      );
      expect(results[2]).toEqual({ status: 'ok', destId: 'b' });
      expect(await session.lookup(['a', 'b', 'missing'])).toEqual(
        new Map([
          ['a', 'a'],
          ['b', 'b'],
        ]),
      );

      await session.write([{ kind: 'archive', key: 'b', destId: 'b' }]);
      expect(await session.lookup(['b'])).toEqual(new Map());
    } finally {
      await session.close();
    }
    // The running server, on the same store, serves what was written beside it.
    const { changes } = await pull(running, jwt, 'tasks');
    expect(changes.map(({ doc_id, operation, data }) => ({ doc_id, operation, data }))).toEqual([
      {
        doc_id: 'a',
        operation: 'upsert',
        data: { due: '2024-05-01T00:00:00.000Z', body: '# Notes' },
      },
      { doc_id: 'b', operation: 'upsert', data: { n: 1 } },
      { doc_id: 'b', operation: 'delete', data: null },
    ]);
  });

  it('fails the run while its document store is locked by another writer, keeping the cursor and dead-lettering nothing', async () => {
    const path = tempSqlitePath();
    const docs = openSqliteDocumentStore({ path, busyTimeoutMs: 20 });
    const store = memoryStore();
    const other = new Database(path);
    onCleanup(async () => {
      other.close();
      await store.close();
      await docs.close();
    });
    const records = Array.from({ length: 30 }, (_, n) => ({ key: `t${n}`, fields: { n } }));
    const pipeline = definePipeline({
      name: 'locked',
      source: memory.source({ units: { all: records }, pageSize: 10 }),
      destination: keepsync.destination({ store: docs, scope: 'acme', collection: 'tasks' }),
      writeRetries: 1,
      retryMinDelayMs: 1,
    });
    let locked = false;
    const failed = await runPipeline({
      store,
      pipeline,
      unit: 'all',
      // Another process takes the write lock once the first page is committed; reads go on.
      onProgress: () => {
        if (!locked) other.exec('BEGIN IMMEDIATE');
        locked = true;
      },
    });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/Destination keepsync is failing .*database is locked/);
    expect(failed.stats).toMatchObject({ created: 10, failed: 0 });
    expect(await store.listDeadLetters({})).toEqual([]);

    other.exec('COMMIT');
    const healed = await runPipeline({ store, pipeline, unit: 'all' });
    expect(healed.stats).toMatchObject({ read: 20, created: 20, failed: 0 });
    for (const record of records) {
      const doc = await docs.getDocument('acme', 'tasks', record.key);
      expect(JSON.parse(String(doc?.data))).toEqual({ n: record.fields.n });
    }
  });

  it('refuses options without exactly one of server and store, or a bad collection name', async () => {
    const { running, store } = await liveServer();
    expect(() => keepsync.destination({ scope: 's', collection: 'tasks' })).toThrow(
      /either `server`/,
    );
    expect(() =>
      keepsync.destination({ server: running.server, store, scope: 's', collection: 'tasks' }),
    ).toThrow(/not both/);
    expect(() => keepsync.destination({ store, scope: 's', collection: 'no spaces' })).toThrow(
      /`collection` to be a collection name/,
    );
    expect(() => keepsync.source({ store, scope: '' })).toThrow(/`scope`/);
  });
});
