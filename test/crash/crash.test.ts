import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runWorker } from '../support/worker.js';

const RECORDS = 50_000;
const PAGE_SIZE = 250;
const TRIALS = 20;
const worker = join(import.meta.dirname, 'crash-worker.ts');

function workerArgs(dir: string): string[] {
  return [
    join(dir, 'state.db'),
    join(dir, 'dest.db'),
    join(dir, 'pages.log'),
    String(RECORDS),
    String(PAGE_SIZE),
  ];
}

describe('crash safety', () => {
  it(`keeps every record exactly once and re-reads at most two pages per SIGKILL (${TRIALS} random kills)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-crash-'));
    writeFileSync(join(dir, 'pages.log'), '');
    let crashes = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const outcome = await runWorker(
        worker,
        workerArgs(dir),
        50 + Math.floor(Math.random() * 450),
      );
      if (outcome.killed) crashes++;
    }
    const final = await runWorker(worker, workerArgs(dir), null);
    expect(final.stdout).toContain('DONE succeeded');
    // Every kill must land mid-run, or the test proves nothing; the run is sized for this.
    expect(crashes).toBe(TRIALS);

    const db = new Database(join(dir, 'dest.db'), { readonly: true });
    const rows = db.prepare('SELECT COUNT(*) AS n FROM objects').get() as { n: number };
    const distinct = db.prepare('SELECT COUNT(DISTINCT key) AS n FROM objects').get() as {
      n: number;
    };
    const sample = db.prepare("SELECT payload FROM objects WHERE key = 'k42345'").get() as {
      payload: string;
    };
    db.close();
    expect(distinct.n).toBe(RECORDS);
    expect(rows.n).toBe(RECORDS);
    expect(JSON.parse(sample.payload)).toMatchObject({ title: 'Record 42345', n: 42345 });

    // Each restarted process may re-read only the page its predecessor was writing and the one
    // it had read ahead (DESIGN: page commits).
    const reads = readFileSync(join(dir, 'pages.log'), 'utf8').trim().split('\n');
    const readBefore = new Set<string>();
    const reReadsByProcess = new Map<string, number>();
    for (const line of reads) {
      const [pid, page] = line.split(' ') as [string, string];
      if (readBefore.has(page)) reReadsByProcess.set(pid, (reReadsByProcess.get(pid) ?? 0) + 1);
      readBefore.add(page);
    }
    expect(readBefore.size).toBe(RECORDS / PAGE_SIZE);
    for (const reReads of reReadsByProcess.values()) expect(reReads).toBeLessThanOrEqual(2);
    const total = [...reReadsByProcess.values()].reduce((sum, n) => sum + n, 0);
    expect(total).toBeLessThanOrEqual(2 * crashes);
  }, 300_000);
});
