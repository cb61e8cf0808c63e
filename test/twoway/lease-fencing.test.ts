import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/sync/index.js';
import {
  cleanUpWorkersAfterEach,
  querySqlite as query,
  startEngineWorker,
  untilLeaseExpired,
  workerDir,
} from '../support/stalled-workers.js';

const WORKER = join(import.meta.dirname, 'lease-worker.ts');
const TTL_MS = 1500;
const ROWS = 200;

cleanUpWorkersAfterEach();

function startWorker(dir: string, owner: string, stall: boolean) {
  const args = [join(dir, 'state.db'), join(dir, 'sides.db'), owner, String(TTL_MS)];
  const worker = startEngineWorker(WORKER, stall ? [...args, 'stall'] : args, owner);
  return { ...worker, results: worker.results as Promise<RunResult[]> };
}

describe('two-way lease fencing across processes', () => {
  it('stops a two-way task whose lease expired between batches: it writes and commits nothing more', async () => {
    const dir = workerDir('keepsync-twoway-fencing-');
    const statePath = join(dir, 'state.db');
    const sidesPath = join(dir, 'sides.db');
    const sides = new Database(sidesPath);
    sides.pragma('journal_mode = WAL');
    sides.exec(`
      CREATE TABLE left_items (key TEXT PRIMARY KEY, title TEXT);
      CREATE TABLE right_items (key TEXT PRIMARY KEY, title TEXT);
      CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL,
        side TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL)`);
    const insert = sides.prepare('INSERT INTO left_items VALUES (?, ?)');
    sides.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(`k${String(i).padStart(3, '0')}`, `title ${i}`);
    })();
    sides.close();

    // A stops itself after its first batch and stays stopped past its lease TTL.
    const a = startWorker(dir, 'A', true);
    await a.ready;
    await untilLeaseExpired(statePath, 't', 'pairs');

    // B takes the expired lease and finishes the task from A's committed batch.
    const [resultB] = await startWorker(dir, 'B', false).results;
    expect(resultB).toMatchObject({ status: 'succeeded' });
    const stateAfterB = query(statePath, 'SELECT * FROM twoway_pairs ORDER BY id');
    const cursorsAfterB = query(statePath, 'SELECT * FROM twoway_cursors ORDER BY side');

    a.child.kill('SIGCONT');
    const [resultA] = await a.results;
    expect(resultA).toMatchObject({ status: 'lease-lost' });
    expect(resultA?.error).toMatch(/taken over by another engine, which has released it since/);

    // Downstream: every object created once, A's part being only its first batch.
    const twice = query<{ key: string; n: number }>(
      sidesPath,
      'SELECT key, COUNT(*) AS n FROM journal GROUP BY side, key HAVING n > 1',
    );
    expect(twice).toEqual([]);
    const byOwner = query<{ owner: string; n: number }>(
      sidesPath,
      'SELECT owner, COUNT(*) AS n FROM journal GROUP BY owner ORDER BY owner',
    );
    expect(byOwner).toEqual([
      { owner: 'A', n: 20 },
      { owner: 'B', n: ROWS - 20 },
    ]);
    expect(query<{ n: number }>(sidesPath, 'SELECT COUNT(*) AS n FROM right_items')[0]?.n).toBe(
      ROWS,
    );
    // The store: A committed nothing over B's pairs and cursors.
    expect(query(statePath, 'SELECT * FROM twoway_pairs ORDER BY id')).toEqual(stateAfterB);
    expect(query(statePath, 'SELECT * FROM twoway_cursors ORDER BY side')).toEqual(cursorsAfterB);
    expect(stateAfterB).toHaveLength(ROWS);
    const runs = query<{ status: string }>(statePath, 'SELECT status FROM runs ORDER BY id');
    expect(runs.map((run) => run.status)).toEqual(['lease-lost', 'succeeded']);
  }, 120_000);
});
