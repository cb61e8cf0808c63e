import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import { emptyStats, openSqliteStore, type Store, storeHandle } from '../../src/store/index.js';
import { sqliteLinkComparer } from '../../src/store/sqlite-link-compare.js';
import { definePipeline, runPipeline } from '../../src/sync/index.js';

let dir: string;
const stores: Store[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keepsync-link-worker-'));
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A file store whose link query runs on its worker from the first page. */
function workerStore(): Store {
  const store = openSqliteStore({
    path: join(dir, 'state.db'),
    secretKey: new Uint8Array(32),
    linkQueryWorkerAfterKeys: 0,
  });
  stores.push(store);
  return store;
}

function sqliteDb(store: Store) {
  const handle = storeHandle(store);
  if (handle.dialect !== 'sqlite') throw new Error('expected a SQLite store');
  return handle.db;
}

const link = (key: string, hash: string) => ({
  key,
  destId: `d-${key}`,
  hash,
  sourceUpdatedMs: null,
});

async function commitLinks(store: Store, links: ReturnType<typeof link>[]) {
  const runId = await store.startRun('p', 'u', 'manual');
  await store.commitPage({
    pipeline: 'p',
    unit: 'u',
    runId,
    links,
    removedLinks: [],
    deadLetters: [],
    resolvedDeadLetters: [],
    stats: emptyStats(),
  });
}

describe('the SQLite link query on a worker thread', () => {
  it('answers from the store file on its own connection, and only past the threshold', async () => {
    const fileStore = workerStore();
    const odd = 'q"\\\n\u00e9😀';
    await commitLinks(fileStore, [link('a', 'h1'), link('b', 'h2'), link(odd, 'h3')]);
    // The comparer's own connection has no links: an answer naming them came from the worker.
    const local = openSqliteStore({ path: ':memory:' });
    stores.push(local);
    const hashes = new Map([
      ['a', 'h1'],
      ['b', 'changed'],
      [odd, 'h3'],
    ]);
    const readLinks = () => new Map();

    const onWorker = sqliteLinkComparer(sqliteDb(local), readLinks, {
      path: join(dir, 'state.db'),
      workerAfterKeys: 0,
    });
    const here = sqliteLinkComparer(sqliteDb(local), readLinks, {
      path: join(dir, 'state.db'),
      workerAfterKeys: Number.POSITIVE_INFINITY,
    });
    try {
      expect([...(await onWorker.compare('p', hashes)).entries()]).toEqual([
        ['b', { key: 'b', destId: 'd-b', hash: 'h2', sourceUpdatedMs: null }],
      ]);
      expect([...(await here.compare('p', hashes)).entries()]).toEqual([
        ['a', null],
        ['b', null],
        [odd, null],
      ]);
    } finally {
      await onWorker.close();
      await here.close();
    }
  });

  it('sees a commit made on the main connection just before the query', async () => {
    const store = workerStore();
    for (let round = 1; round <= 5; round++) {
      await commitLinks(store, [link('k', `h${round}`)]);
      expect(await store.getChangedLinks('p', new Map([['k', `h${round}`]]))).toEqual(new Map());
    }
  });

  it('falls back to the main connection, with a warning, when the worker cannot start', async () => {
    const store = workerStore();
    await commitLinks(store, [link('a', 'h1')]);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const comparer = sqliteLinkComparer(sqliteDb(store), () => new Map(), {
      path: join(dir, 'missing', 'state.db'),
      workerAfterKeys: 0,
    });
    try {
      for (let page = 0; page < 3; page++) {
        expect([...(await comparer.compare('p', new Map([['a', 'h2']]))).entries()]).toEqual([
          ['a', { key: 'a', destId: 'd-a', hash: 'h1', sourceUpdatedMs: null }],
        ]);
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/link query worker failed/);
    } finally {
      warn.mockRestore();
      await comparer.close();
    }
  });

  it('still finds the one changed record among unchanged ones', async () => {
    const store = workerStore();
    let records: SyncRecord[] = Array.from({ length: 3000 }, (_, index) => ({
      key: `r${index}`,
      fields: { n: index, at: new Date(Date.UTC(2024, 0, 1) + index) },
    }));
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: () => records }, pageSize: 1000 }),
      destination: memory.destination(),
    });
    const run = () => runPipeline({ store, pipeline, unit: 'u' });
    expect((await run()).stats).toMatchObject({ created: 3000 });
    records = records.map((record, index) =>
      index === 1234 ? { ...record, fields: { ...record.fields, n: -1 } } : record,
    );
    expect((await run()).stats).toMatchObject({ created: 0, updated: 1, unchanged: 2999 });
  });

  it('compares a key against the link the page before it committed, read ahead or not', async () => {
    const store = workerStore();
    // `twice` is created by the first page and changed by the second, read while the first
    // is written: a comparison older than the first page's commit would create it again.
    const records: SyncRecord[] = Array.from({ length: 20 }, (_, index) => ({
      key: index === 5 || index === 15 ? 'twice' : `r${index}`,
      fields: { n: index },
    }));
    for (const readAhead of [true, false]) {
      const pipeline = definePipeline({
        name: `p-${readAhead}`,
        source: memory.source({ units: { u: records }, pageSize: 10 }),
        // Its lookup finds nothing, so only the link says `twice` exists already.
        destination: memory.destination({ keepsKeys: false }),
      });
      const result = await runPipeline({ store, pipeline, unit: 'u', readAhead });
      expect(result.stats).toMatchObject({ created: 19, updated: 1, pages: 2 });
    }
  });

  it('does not keep the process alive, with the store closed or left open', () => {
    for (const mode of ['close', 'leave-open']) {
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'link-query-worker-exit.ts'), dir, mode],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(child.error).toBeUndefined();
      expect({ mode, status: child.status, stderr: child.stderr }).toEqual({
        mode,
        status: 0,
        stderr: '',
      });
      expect(JSON.parse(child.stdout)).toMatchObject({ created: 0, unchanged: 300 });
      rmSync(join(dir, 'state.db'), { force: true });
      rmSync(join(dir, 'state.db-wal'), { force: true });
      rmSync(join(dir, 'state.db-shm'), { force: true });
    }
  }, 120_000);
});
