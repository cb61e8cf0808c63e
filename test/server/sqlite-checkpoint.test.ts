import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { expect, it, vi } from 'vitest';
import { openSqliteDocumentStore } from '../../src/server/index.js';
import { startWalCheckpointer } from '../../src/server/store/sqlite-checkpointer.js';
import type { Decide, StoreChange } from '../../src/server/store/types.js';
import { tempSqlitePath } from './helpers.js';

/** Rows of `table` in the database file alone, without its WAL: what checkpoints copied. */
function rowsInMainFile(path: string, table: string): number {
  const copy = `${path}.main-only`;
  copyFileSync(path, copy);
  const db = new Database(copy);
  try {
    const created = db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(table);
    if (!created) return 0;
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A database in WAL mode with a table `t`, whose own connection never checkpoints. */
function walTable() {
  const path = tempSqlitePath();
  const writer = new Database(path);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  return { path, writer, insert: writer.prepare('INSERT INTO t (v) VALUES (?)') };
}

const write: Decide<StoreChange> = (change) => ({
  kind: 'write',
  operation: 'upsert',
  data: JSON.stringify({ text: 'x'.repeat(80_000), id: change.docId }),
  version: `001700000000000-000000-${change.docId}`,
  editVersion: `001700000000000-000000-${change.docId}`,
  changeId: null,
  result: { doc_id: change.docId, collection: change.collection, status: 'accepted' },
});

function batch(from: number, count: number) {
  return {
    scope: 's',
    clientId: 'c',
    actorId: 'a',
    atomic: false,
    changes: Array.from({ length: count }, (_, i) => ({
      collection: 'tasks',
      docId: `d${from + i}`,
      idempotencyKey: null,
    })),
  };
}

it('commits no checkpoint: a push past 1,000 WAL pages leaves the database file as it was, the background copies it later', async () => {
  const path = tempSqlitePath();
  const store = openSqliteDocumentStore({ path });
  try {
    // 60 documents of 80 KB: ~1,200 pages, past SQLite's default autocheckpoint of 1,000,
    // which on the writer's own connection would have checkpointed inside this commit.
    await store.applyBatch(batch(0, 60), write);
    expect(rowsInMainFile(path, 'sync_documents')).toBe(0);
    for (let i = 0; i < 30; i++) await store.applyBatch(batch(60 + i, 1), write);
    // The 10th commit since the last checkpoint starts one (sqlite-checkpointer.ts).
    await vi.waitFor(() => expect(rowsInMainFile(path, 'sync_documents')).toBeGreaterThan(60), {
      timeout: 20_000,
      interval: 100,
    });
  } finally {
    await store.close();
  }
});

it('checkpoints on its own connection: after `next()` the database file alone holds every committed row', async () => {
  const { path, writer, insert } = walTable();
  const failures: unknown[] = [];
  const checkpointer = startWalCheckpointer({
    path,
    synchronous: 'NORMAL',
    onFailure: (error) => failures.push(error),
  });
  try {
    for (let i = 0; i < 100; i++) {
      insert.run('y'.repeat(1000));
      checkpointer.wrote();
    }
    const report = await checkpointer.next();
    expect(report.busy).toBe(0);
    expect(report.checkpointed).toBe(report.log);
    expect(rowsInMainFile(path, 't')).toBe(100);
    expect(failures).toEqual([]);
  } finally {
    await checkpointer.close();
    writer.close();
  }
});

it('checkpoints a steady writer every 10 commits and 200 ms, so under load its WAL stays short of the catch-up size', async () => {
  // Waiting for 25 commits and a second let a WAL under ~400 pushes a second pass 4,096
  // frames, and commits in that state took up to 110 ms (bench/README.md, round 12).
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  const { path, writer, insert } = walTable();
  const checkpointer = startWalCheckpointer({ path, synchronous: 'NORMAL', onFailure: () => {} });
  try {
    const commit = (count: number) => {
      for (let i = 0; i < count; i++) {
        insert.run('w'.repeat(1000));
        checkpointer.wrote();
      }
    };
    commit(9);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(rowsInMainFile(path, 't')).toBe(0);
    // The 10th commit starts the first checkpoint; 10 more start the next, 200 ms after it.
    commit(1);
    await vi.waitFor(() => expect(rowsInMainFile(path, 't')).toBe(10), { timeout: 20_000 });
    await sleep(50); // the worker's answer, which arms the next checkpoint's wait
    commit(10);
    await vi.advanceTimersByTimeAsync(250);
    for (let tries = 0; rowsInMainFile(path, 't') < 20 && tries < 400; tries++) await sleep(50);
    expect(rowsInMainFile(path, 't')).toBe(20);
  } finally {
    vi.useRealTimers();
    await checkpointer.close();
    writer.close();
  }
});

it('reports a worker that cannot open the database, so the store checkpoints in its commits again', async () => {
  let reportFailure: (error: unknown) => void = () => {};
  const failed = new Promise<unknown>((resolve) => {
    reportFailure = resolve;
  });
  const checkpointer = startWalCheckpointer({
    path: join(tempSqlitePath(), 'missing-directory', 'sync.db'),
    synchronous: 'NORMAL',
    onFailure: (error) => reportFailure(error),
  });
  expect(String(await failed)).toMatch(/unable to open|directory does not exist/i);
  await expect(checkpointer.next()).rejects.toThrow();
  await checkpointer.close();
});

it('catches up at the next commit, without waiting for 10, while the WAL is past 4,096 frames', async () => {
  const { path, writer, insert } = walTable();
  const checkpointer = startWalCheckpointer({ path, synchronous: 'NORMAL', onFailure: () => {} });
  try {
    // ~5,000 pages in one commit: a WAL past the catch-up threshold.
    writer.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run('z'.repeat(3000));
    })();
    expect((await checkpointer.next()).log).toBeGreaterThanOrEqual(4096);
    insert.run('last');
    checkpointer.wrote();
    await vi.waitFor(() => expect(rowsInMainFile(path, 't')).toBe(5001), {
      timeout: 20_000,
      interval: 100,
    });
  } finally {
    await checkpointer.close();
    writer.close();
  }
});

it('does not keep the process alive when a store is left open', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const source = new URL('../../src/server/index.ts', import.meta.url).href;
  // A module file, not `-e`: an evaluated script exits even while the worker holds the loop.
  const script = join(mkdtempSync(join(tmpdir(), 'keepsync-open-')), 'open.mjs');
  writeFileSync(
    script,
    `const { openSqliteDocumentStore } = await import(${JSON.stringify(source)});
openSqliteDocumentStore({ path: ${JSON.stringify(tempSqlitePath())} });
`,
  );
  const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  // Killed by the timeout (signal set) when the checkpoint worker holds the event loop.
  expect({ signal: child.signal, status: child.status, stderr: child.stderr }).toEqual({
    signal: null,
    status: 0,
    stderr: '',
  });
}, 90_000);
