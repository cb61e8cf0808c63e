import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgServer, startPgServer } from '../support/pg-server.js';

const RECORDS = 2000;
const PAGE_SIZE = 40;
const worker = join(import.meta.dirname, 'store-outage-worker.ts');

let pg: PgServer;
beforeAll(async () => {
  pg = await startPgServer();
});
afterAll(async () => {
  await pg?.close();
});

/**
 * A child's stdout as lines, with a wait for the next line that matches; the wait fails with
 * the child's output if it exits first.
 */
function watchLines(child: ChildProcess) {
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const waiters: Array<{
    pattern: RegExp;
    resolve: (line: string) => void;
    reject: (error: Error) => void;
  }> = [];
  // 'close', not 'exit': the last lines on stdout are read by then.
  child.on('close', (code) => {
    for (const waiter of waiters.splice(0)) {
      waiter.reject(
        new Error(
          `the engine exited (${code}) before ${waiter.pattern}:\n${lines.join('\n')}\n${stderr}`,
        ),
      );
    }
  });
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop()!;
    for (const line of complete) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  return {
    lines,
    stderr: () => stderr,
    next(pattern: RegExp): Promise<string> {
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
  };
}

describe('the engine outlives its store', () => {
  it('logs, backs off and finishes its work when PostgreSQL stops and starts again under it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-store-outage-'));
    const journal = join(dir, 'journal.db');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', worker, pg.url, journal, String(RECORDS), String(PAGE_SIZE), '60'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const out = watchLines(child);
    try {
      // Stop PostgreSQL while a run is in the middle of the unit.
      await out.next(/^PAGE ([4-9]\d\d|1\d\d\d)$/);
      await pg.stop();
      // Down for several polls, each backing off further.
      for (let poll = 0; poll < 4; poll++) await out.next(/^LOG store unavailable: /);
      await pg.start();
      await out.next(/^LOG store reachable again after \d+ failed polls$/);
      await out.next(/^PAGE \d+$/);
      const code = await exited;
      expect(code, `${out.lines.join('\n')}\n${out.stderr()}`).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(out.lines).toContain('DONE');
    // At least the four polls waited for above failed; PostgreSQL's start-up may add more.
    const recovered = out.lines.find((line) => line.startsWith('LOG store reachable again'));
    expect(Number(/after (\d+) failed polls/.exec(recovered ?? '')?.[1])).toBeGreaterThanOrEqual(4);

    const db = new Database(journal, { readonly: true });
    const { rows, keys } = db
      .prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT key) AS keys FROM objects')
      .get() as { rows: number; keys: number };
    const last = db.prepare("SELECT payload FROM objects WHERE key = 'k1999'").get() as {
      payload: string;
    };
    db.close();
    expect(keys).toBe(RECORDS);
    expect(rows).toBe(RECORDS);
    expect(JSON.parse(last.payload)).toEqual({ title: 'Record 1999', n: 1999 });
  }, 180_000);
});
