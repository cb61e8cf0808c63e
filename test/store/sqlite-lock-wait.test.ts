import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import * as sql from '../../src/connectors/sql/index.js';
import { emptyStats, openSqliteStore } from '../../src/store/index.js';

// Another process takes the write lock of a SQLite file and keeps it until told to let go.
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('journal_mode = WAL');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('LOCKED\\n');
process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });
`;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function holdLock(path: string): Promise<{ release: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', HOLDER, path], {
    cwd: join(import.meta.dirname, '../..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      if (String(chunk).includes('LOCKED')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
  });
  return {
    release: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.write('go\n');
      await exited;
    },
  };
}

/** Settles-or-not tracking, so a test can tell a call still waits without timing it. */
function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  return { settled: () => settled, promise: tracked };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-lock-wait-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('waiting for another process’s SQLite lock', () => {
  it('keeps the event loop running while a store write waits, then commits once the lock is free', async () => {
    const path = join(tempDir(), 'state.db');
    const store = openSqliteStore({ path, secretKey: new Uint8Array(32) });
    cleanups.push(() => void store.close());
    await store.ensureUnit('p', 'u', new Date());
    const runId = await store.startRun('p', 'u', 'manual');
    const holder = await holdLock(path);

    const commit = track(
      store.commitPage({
        pipeline: 'p',
        unit: 'u',
        runId,
        cursor: { cursor: 7, passId: null },
        links: [],
        removedLinks: [],
        deadLetters: [],
        resolvedDeadLetters: [],
        stats: emptyStats(),
      }),
    );
    const lease = track(store.acquireLease('p', 'u', 'engine-1', 60_000, new Date()));
    // Timers fire meanwhile; a synchronous busy wait would have blocked right here.
    let ticks = 0;
    while (ticks < 10) {
      await sleep(20);
      ticks++;
    }
    expect(commit.settled()).toBe(false);
    expect(lease.settled()).toBe(false);

    await holder.release();
    await commit.promise;
    expect((await lease.promise)?.owner).toBe('engine-1');
    expect((await store.getCursor('p', 'u'))?.cursor).toBe(7);
  }, 60_000);

  it('keeps the event loop running while a sql destination transaction waits', async () => {
    const path = join(tempDir(), 'dest.db');
    const client = sql.sqliteClient(path);
    cleanups.push(() => void client.close());
    await client.query('CREATE TABLE items (key TEXT PRIMARY KEY)');
    const holder = await holdLock(path);

    const write = track(
      client.transaction([{ sql: 'INSERT INTO items (key) VALUES (?)', params: ['a'] }]),
    );
    for (let ticks = 0; ticks < 10; ticks++) await sleep(20);
    expect(write.settled()).toBe(false);

    await holder.release();
    await write.promise;
    expect(await client.query('SELECT key FROM items')).toEqual([{ key: 'a' }]);
  }, 60_000);
});
