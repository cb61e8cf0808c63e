import { describe, expect, it } from 'vitest';
import * as keepsync from '../../../src/connectors/keepsync/index.js';
import { type Cursor, parseHlc } from '../../../src/model/index.js';
import type { Source, SourcePage } from '../../../src/sync/index.js';
import { liveServer } from './helpers.js';

const telemetry = { retried() {}, waitedForRateLimit() {} };

async function read(
  source: Source,
  unit: string,
  cursor: Cursor,
  keys?: string[],
): Promise<SourcePage[]> {
  const pages: SourcePage[] = [];
  for await (const page of source.read(unit, { cursor, keys, telemetry })) pages.push(page);
  return pages;
}

const summary = (pages: SourcePage[]) =>
  pages.flatMap((page) =>
    page.records.map((record) => (record.deleted ? `-${record.key}` : record.key)),
  );

async function world() {
  const live = await liveServer();
  const write = (
    collection: string,
    docs: Record<string, Record<string, unknown> | null>,
  ): Promise<unknown> =>
    live.running.server.write({
      scope: live.scope,
      changes: Object.entries(docs).map(([doc_id, data]) =>
        data === null
          ? { collection, operation: 'delete' as const, doc_id }
          : { collection, operation: 'upsert' as const, doc_id, data },
      ),
    });
  return { ...live, write };
}

describe('keepsync source', () => {
  it('lists every document on a null cursor, in keyset pages that resume mid-listing', async () => {
    const w = await world();
    await w.write('tasks', {
      t1: { n: 1 },
      t2: { n: 2 },
      t3: { n: 3 },
      t4: { n: 4 },
      t5: { n: 5 },
    });
    await w.write('tasks', { t4: null });
    await w.write('notes', { n1: { text: 'elsewhere' } });
    const source = keepsync.source({ server: w.running.server, scope: w.scope, pageSize: 2 });
    expect(source.mode).toBe('incremental');
    expect(await source.units()).toEqual([{ id: 'notes' }, { id: 'tasks' }]);

    const pages = await read(source, 'tasks', null);
    expect(summary(pages)).toEqual(['t1', 't2', 't3', '-t4', 't5']);
    const seq = await w.store.lastSeq(w.scope);
    expect(pages.map((page) => page.cursor)).toEqual([
      { after: 't2', seq },
      { after: 't4', seq },
      { after: 't5', seq },
      seq,
    ]);
    const stored = await w.store.getDocument(w.scope, 'tasks', 't1');
    expect(pages[0]!.records[0]).toEqual({
      key: 't1',
      fields: { n: 1 },
      updatedAt: new Date(parseHlc(stored!.version).wallMs),
    });

    // After a crash mid-listing: the rest only, then the oplog from the listing's seq.
    await w.write('tasks', { t1: { n: 10 } });
    const resumed = await read(source, 'tasks', { after: 't2', seq });
    expect(summary(resumed)).toEqual(['t3', '-t4', 't5', 't1']);
    expect(resumed.at(-1)!.cursor).toBe(await w.store.lastSeq(w.scope));
  });

  it('reads only the changes since the cursor, deletes as tombstones, one record per document', async () => {
    const w = await world();
    await w.write('tasks', { t1: { n: 1 }, t2: { n: 2 }, t3: { n: 3 } });
    const source = keepsync.source({ store: w.store, scope: w.scope, collection: 'tasks' });
    expect(await source.units()).toEqual([{ id: 'tasks' }]);
    const cursor = (await read(source, 'tasks', null)).at(-1)!.cursor;

    await w.write('tasks', { t1: { n: 10 } });
    await w.write('notes', { n1: { text: 'not this collection' } });
    await w.write('tasks', { t3: null });
    await w.write('tasks', { t1: { n: 11 } });
    const changes = await read(source, 'tasks', cursor);
    expect(changes.flatMap((page) => page.records)).toMatchObject([
      { key: 't3', deleted: true, fields: {} },
      { key: 't1', fields: { n: 11 } },
    ]);
    const next = changes.at(-1)!.cursor;
    expect(next).toBe(await w.store.lastSeq(w.scope));
    expect(summary(await read(source, 'tasks', next))).toEqual([]);

    // A targeted read returns the named documents and keeps the cursor where it was.
    const targeted = await read(source, 'tasks', next, ['t2', 't3', 'missing']);
    expect(summary(targeted)).toEqual(['t2', '-t3']);
    expect(targeted[0]!.cursor).toBe(next);

    // Confirming missing keys: a tombstone is gone, like a document never written.
    const check = await source.confirmMissing!('tasks', ['t2', 't3', 'missing'], { telemetry });
    expect(check.found.map((record) => record.key)).toEqual(['t2']);
    expect(check.gone).toEqual(['t3', 'missing']);
  });

  it('lists everything again when the oplog after its cursor was pruned', async () => {
    const w = await world();
    await w.write('tasks', { t1: { n: 1 }, t2: { n: 2 } });
    const source = keepsync.source({ store: w.store, scope: w.scope, collection: 'tasks' });
    const cursor = (await read(source, 'tasks', null)).at(-1)!.cursor as number;
    await w.write('tasks', { t2: null, t3: { n: 3 } });
    await w.store.prune(Date.now() + 60_000);
    expect((await w.store.retention(w.scope)).prunedThroughSeq).toBeGreaterThan(cursor);
    expect(summary(await read(source, 'tasks', cursor))).toEqual(['t1', '-t2', 't3']);
  });

  it('names the collection of a cursor it cannot read', async () => {
    const w = await world();
    const source = keepsync.source({ store: w.store, scope: w.scope, collection: 'tasks' });
    await expect(read(source, 'tasks', 'yesterday')).rejects.toThrow(
      /Collection tasks: expected the cursor to be an oplog seq/,
    );
  });
});
