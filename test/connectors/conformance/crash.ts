import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorker } from '../../support/worker.js';
import type { DestinationFixture, DestinationHarness } from './harness.js';

const WORKER = join(import.meta.dirname, 'worker.ts');
const TRIALS = 8;

/**
 * Runs the harness's destination in a child process writing `count` records, SIGKILLs it at
 * random points (a few pages into each run) until one run finishes, then runs it once more
 * to completion.
 */
export async function crashUntilDone(
  harness: DestinationHarness,
  fixture: DestinationFixture,
  count: number,
): Promise<{ kills: number }> {
  if (!harness.workerModule || !fixture.workerArgs) {
    throw new Error(`${harness.connector} has no crash worker`);
  }
  const dir = mkdtempSync(join(tmpdir(), `keepsync-conformance-${harness.connector}-`));
  const args = [harness.workerModule, join(dir, 'state.db'), String(count), ...fixture.workerArgs];
  try {
    let kills = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      // After one to three pages this run commits, plus up to 60 ms into the next: each kill
      // lands mid-run however fast the machine is (a fixed delay let a quick run finish first).
      const outcome = await runWorker(WORKER, args, Math.floor(Math.random() * 60), {
        marker: 'PAGE\n',
        occurrences: 1 + Math.floor(Math.random() * 3),
      });
      if (!outcome.killed) break;
      kills++;
    }
    const final = await runWorker(WORKER, args, null);
    if (!final.stdout.includes('DONE succeeded')) throw new Error(`final run: ${final.stdout}`);
    return { kills };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
