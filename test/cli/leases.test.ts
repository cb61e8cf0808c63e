import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cliArgs, keepsync } from '../support/cli.js';

// A slow unit: 200 records in pages of 5, each page a 100 ms write, so a run lasts seconds.
const CONFIG = `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';

export default defineConfig({
  store: { sqlite: 'state.db' },
  engine: { leaseTtlMs: 60_000, pollIntervalMs: 50 },
  pipelines: [{
    name: 'slow',
    source: memory.source({
      units: { u: { count: 200, record: (i) => ({ key: 'k' + i, fields: { i } }) } },
      pageSize: 5,
    }),
    destination: {
      name: 'slow',
      async open() {
        return {
          async lookup() { return new Map(); },
          async write(ops) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            return ops.map((op) => ({ status: 'ok', destId: op.key }));
          },
          async close() {},
        };
      },
    },
  }],
});
`;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function query<T>(path: string, sql: string): T[] {
  const db = new Database(path);
  try {
    const statement = db.prepare(sql);
    if (statement.reader) return statement.all() as T[];
    statement.run();
    return [];
  } finally {
    db.close();
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('keepsync CLI and leases after a crash', () => {
  it('shows who holds a stale lease, refuses `run --once` while it holds, and marks the stale run crashed on take-over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-cli-leases-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'keepsync.config.ts'), CONFIG);
    const state = join(dir, 'state.db');

    const daemon: ChildProcess = spawn(process.execPath, cliArgs('run'), {
      cwd: dir,
      stdio: 'ignore',
    });
    cleanups.push(() => daemon.kill('SIGKILL'));
    let holder: { owner: string | null } | undefined;
    await until(() => {
      try {
        holder = query<{ owner: string | null }>(
          state,
          "SELECT lease_owner AS owner FROM units WHERE pipeline = 'slow' AND unit = 'u'",
        )[0];
        return (
          holder?.owner != null &&
          query(state, "SELECT id FROM runs WHERE json_extract(stats, '$.pages') > 0").length > 0
        );
      } catch {
        return false; // not created yet
      }
    });
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGKILL');
    await exited;
    const owner = holder!.owner!;

    const status = await keepsync(dir, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(owner);
    expect(status.stdout).toMatch(/(running on|leased:) \S+ since \d{4}-\d\d-\d\d /);

    const refused = await keepsync(dir, 'run', '--once');
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(
      `slow/u: not run, another engine holds its lease (${owner} since`,
    );

    // The lease runs out (forced here rather than waited for): the next engine takes it over.
    query(state, "UPDATE units SET lease_expires_ms = 1 WHERE pipeline = 'slow'");
    expect((await keepsync(dir, 'status')).stdout).toMatch(/stale lease: /);
    const taken = await keepsync(dir, 'run', '--once', '--json');
    expect(taken.code).toBe(0);
    expect(JSON.parse(taken.stdout)[0]).toMatchObject({ status: 'succeeded' });
    const runs = query<{ status: string; error: string | null }>(
      state,
      'SELECT status, error FROM runs ORDER BY id',
    );
    expect(runs.map((run) => run.status)).toEqual(['crashed', 'succeeded']);
    expect(runs[0]?.error).toContain(`engine ${owner} stopped renewing its lease`);
  }, 240_000);

  it('ends a `run --once` whose lease was taken mid-run with exit 5, naming the new holder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-cli-lease-lost-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'keepsync.config.ts'),
      CONFIG.replace('leaseTtlMs: 60_000', 'leaseTtlMs: 1500'),
    );
    const state = join(dir, 'state.db');
    const holderNow = () => {
      try {
        return (
          query<{ owner: string | null }>(
            state,
            "SELECT lease_owner AS owner FROM units WHERE pipeline = 'slow' AND unit = 'u'",
          )[0]?.owner ?? null
        );
      } catch {
        return null; // not created yet
      }
    };
    const spawnOnce = () => {
      const child = spawn(process.execPath, cliArgs('run', '--once'), {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      cleanups.push(() => {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      });
      let stderr = '';
      child.stderr!.on('data', (chunk) => {
        stderr += chunk;
      });
      const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
        child.once('exit', (code) => resolve({ code, stderr })),
      );
      return { child, exited };
    };

    // A runs, commits a page, then stalls (SIGSTOP) past its lease TTL.
    const a = spawnOnce();
    await until(() => {
      try {
        return (
          holderNow() !== null &&
          query(state, "SELECT id FROM runs WHERE json_extract(stats, '$.pages') > 0").length > 0
        );
      } catch {
        return false;
      }
    });
    const ownerA = holderNow()!;
    a.child.kill('SIGSTOP');
    const [{ expires }] = query<{ expires: number }>(
      state,
      "SELECT lease_expires_ms AS expires FROM units WHERE pipeline = 'slow'",
    ) as [{ expires: number }];
    await until(() => Date.now() > expires + 200);

    // B takes the lease over; A wakes up while B runs the unit.
    const b = spawnOnce();
    await until(() => ![null, ownerA].includes(holderNow()));
    const ownerB = holderNow()!;
    a.child.kill('SIGCONT');
    const endA = await a.exited;
    expect(endA.code).toBe(5);
    const lostLine = endA.stderr.split('\n').find((line) => line.startsWith('slow/u: '));
    expect(lostLine).toMatch(/taken over by|now held by/);
    expect(lostLine).toContain(ownerB);
    expect((await b.exited).code).toBe(0);
    const runs = query<{ status: string }>(state, 'SELECT status FROM runs ORDER BY id');
    expect(runs.map((run) => run.status)).toEqual(['lease-lost', 'succeeded']);
  }, 240_000);
});
