import { join } from 'node:path';
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

cleanUpWorkersAfterEach();

function startWorker(dir: string, owner: string) {
  const worker = startEngineWorker(
    WORKER,
    [join(dir, 'state.db'), join(dir, 'dest.db'), owner, String(TTL_MS)],
    owner,
  );
  return { ...worker, results: worker.results as Promise<RunResult[]> };
}

describe('lease fencing across processes', () => {
  it('stops an engine whose lease expired mid-run and was taken: it commits no further page', async () => {
    const dir = workerDir('keepsync-fencing-');
    const statePath = join(dir, 'state.db');
    const destPath = join(dir, 'dest.db');

    // A stalls mid-run (SIGSTOP) past its lease TTL: the forced lease expiry.
    const a = startWorker(dir, 'A');
    await a.ready;
    a.child.kill('SIGSTOP');
    await untilLeaseExpired(statePath, 'p', 'u');

    // B takes the expired lease and finishes the unit from A's last committed page.
    const [resultB] = await startWorker(dir, 'B').results;
    expect(resultB).toMatchObject({ status: 'succeeded' });
    const [{ lastSeq }] = query<{ lastSeq: number }>(
      destPath,
      'SELECT MAX(seq) AS lastSeq FROM writes',
    ) as [{ lastSeq: number }];

    a.child.kill('SIGCONT');
    const [resultA] = await a.results;

    expect(resultA).toMatchObject({ status: 'lease-lost' });
    // A learns it lost the lease from its next renewal or from its next fenced commit,
    // whichever comes first after SIGCONT; either way it commits nothing more (below).
    expect(resultA?.error).toMatch(/taken over by another engine, which has released it since/);
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
    expect(runs.map((run) => run.status)).toEqual(['lease-lost', 'succeeded']);
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
