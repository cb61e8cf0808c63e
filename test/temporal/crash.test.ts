import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { definePipeline } from '../../src/sync/index.js';
import {
  bundleKeepsyncWorkflows,
  startUnitWorkflows,
  unitStatus,
} from '../../src/temporal/index.js';
import {
  CRASH_PIPELINE,
  CRASH_UNIT,
  crashWorkerArgs,
  createCrashFiles,
  expectResumedAfterKills,
  runWithKills,
} from '../support/engine-crash.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

const RECORDS = 3000;
const PAGE_SIZE = 50;
const KILLS = 3;
const TASK_QUEUE = 'crash-test';

let env: TestWorkflowEnvironment | undefined;
afterAll(async () => {
  await env?.teardown();
});

describe('a Temporal worker killed mid-run', () => {
  it(`resumes from the last committed page: every record once, at most one page re-read per kill (${KILLS} SIGKILLs)`, async () => {
    env = await startTemporalDevServer();
    const files = createCrashFiles('keepsync-temporal-crash-', RECORDS, PAGE_SIZE);
    const bundlePath = join(files.dir, 'workflows.js');
    writeFileSync(bundlePath, ((await bundleKeepsyncWorkflows()) as { code: string }).code);
    // The starter only needs the pipeline's name and units; the workers hold the real one.
    const pipeline = definePipeline({
      name: CRASH_PIPELINE,
      source: memory.source({ units: { [CRASH_UNIT]: [] } }),
      destination: memory.destination(),
      schedule: { everyMs: 3_600_000 },
    });
    await startUnitWorkflows({
      client: env.client,
      taskQueue: TASK_QUEUE,
      pipelines: [pipeline],
      activity: { heartbeatTimeoutMs: 3_000, maximumAttempts: 20 },
    });

    const { done, killed } = await runWithKills({
      args: crashWorkerArgs('temporal', files, [env.address, TASK_QUEUE, bundlePath]),
      kills: KILLS,
      spread: 10,
      finished: () =>
        eventually(
          async () => {
            const status = await unitStatus(env!.client, {
              pipeline: CRASH_PIPELINE,
              unit: CRASH_UNIT,
            });
            if (status.lastRun?.status !== 'succeeded') throw new Error(JSON.stringify(status));
            return status;
          },
          { timeoutMs: 120_000, intervalMs: 500 },
        ),
    });
    expect(done.runs).toBe(1);
    // On Temporal a run reads the next page only once this one is committed (README,
    // "Durability"): a restarted process re-reads at most the page being written.
    const outcome = expectResumedAfterKills(files, killed, 1);
    expect(outcome.readBy.size).toBe(KILLS + 1);
  }, 300_000);
});
