import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/sync/index.js';

const WORKER = join(import.meta.dirname, 'lease-worker.ts');
const TTL_MS = 1500;

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly results: Promise<RunResult[]>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startWorker(dir: string, owner: string): Worker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, join(dir, 'state.db'), join(dir, 'dest.db'), owner, String(TTL_MS)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const ready = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('READY')) resolve();
    });
  });
  const results = new Promise<RunResult[]>((resolve, reject) => {
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((each) => each.startsWith('RESULTS '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULTS '.length)));
      else reject(new Error(`worker ${owner} exited ${code}: ${stdout}${stderr}`));
    });
  });
  return { child, ready, results };
}

function query<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('lease fencing across processes', () => {
  it('stops an engine whose lease expired mid-run and was taken: it commits no further page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-fencing-'));
    dirs.push(dir);
    const statePath = join(dir, 'state.db');
    const destPath = join(dir, 'dest.db');

    // A stalls mid-run (SIGSTOP) past its lease TTL: the forced lease expiry.
    const a = startWorker(dir, 'A');
    await a.ready;
    a.child.kill('SIGSTOP');
    const [{ expires }] = query<{ expires: number }>(
      statePath,
      "SELECT lease_expires_ms AS expires FROM units WHERE pipeline = 'p' AND unit = 'u'",
    ) as [{ expires: number }];
    await until(() => Date.now() > expires + 200);

    // B takes the expired lease and finishes the unit from A's last committed page.
    const [resultB] = await startWorker(dir, 'B').results;
    expect(resultB).toMatchObject({ status: 'succeeded' });
    const [{ lastSeq }] = query<{ lastSeq: number }>(
      destPath,
      'SELECT MAX(seq) AS lastSeq FROM writes',
    ) as [{ lastSeq: number }];

    a.child.kill('SIGCONT');
    const [resultA] = await a.results;

    expect(resultA).toMatchObject({ status: 'aborted' });
    // A learns it lost the lease from its next renewal or from its next fenced commit,
    // whichever comes first after SIGCONT; either way it commits nothing more (below).
    expect(resultA?.error).toMatch(/no longer this engine's|lease lost to another engine/);
    // At most the page that was in flight when A stopped reached the destination afterwards.
    const lateWrites = query<{ key: string }>(
      destPath,
      `SELECT key FROM writes WHERE owner = 'A' AND seq > ${lastSeq}`,
    );
    expect(lateWrites.length).toBeLessThanOrEqual(10);
    // What the store says is B's: A committed nothing over it.
    const runs = query<{ status: string; pages: number }>(
      statePath,
      "SELECT status, json_extract(stats, '$.pages') AS pages FROM runs ORDER BY id",
    );
    expect(runs.map((run) => run.status)).toEqual(['aborted', 'succeeded']);
    const [cursor] = query<{ cursor: string | null }>(
      statePath,
      "SELECT cursor FROM cursors WHERE pipeline = 'p' AND unit = 'u'",
    );
    // B's complete full pass reset the cursor; A's stale page did not move it again.
    expect(JSON.parse(cursor?.cursor ?? '"missing"')).toBeNull();
    expect(
      query<{ n: number }>(statePath, "SELECT COUNT(*) AS n FROM links WHERE pipeline = 'p'")[0]?.n,
    ).toBe(400);
  }, 120_000);
});
