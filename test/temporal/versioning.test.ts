import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { definePipeline } from '../../src/sync/index.js';
import {
  bundleKeepsyncWorkflows,
  createKeepsyncWorker,
  startUnitWorkflows,
  syncUnitNow,
  type UnitStatus,
  unitHandle,
  unitStatus,
} from '../../src/temporal/index.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

const TASK_QUEUE = 'versioning-test';
const DEPLOYMENT = 'keepsync-versioning-test';
const REF = { pipeline: 'versioned', unit: 'all' };

let env: TestWorkflowEnvironment | undefined;
let store: Store | undefined;
const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
afterAll(async () => {
  for (const { worker, running } of workers) {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  }
  await env?.teardown();
  await store?.close();
});

function status(): Promise<UnitStatus> {
  return unitStatus(env!.client, REF, { timeoutMs: 20_000 });
}

/** Makes a build the deployment's current version, once its worker has polled. */
async function makeCurrent(buildId: string): Promise<void> {
  await eventually(
    () =>
      env!.client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: 'default',
        deploymentName: DEPLOYMENT,
        buildId,
      }),
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

async function buildOfWorkflow(): Promise<string | null | undefined> {
  const described = await unitHandle(env!.client, REF).describe();
  return described.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId;
}

describe('Worker Versioning: redeploying under a long-lived unit workflow', () => {
  it('a workflow started on build A keeps running once build B is current and A is gone', async () => {
    env = await startTemporalDevServer();
    store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(9) });
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: REF.pipeline,
      source: memory.source({
        units: { all: [{ key: 'k1', fields: { title: 'One' } }] },
      }),
      destination,
      schedule: { everyMs: 3_600_000 },
    });
    const bundle = await bundleKeepsyncWorkflows();
    const startBuild = async (buildId: string) => {
      const worker = await createKeepsyncWorker({
        connection: env!.nativeConnection,
        taskQueue: TASK_QUEUE,
        store: store!,
        pipelines: [pipeline],
        workflowBundle: bundle,
        buildId,
        deploymentName: DEPLOYMENT,
        leaseTtlMs: 5_000,
        stickyQueueScheduleToStartTimeoutMs: 1_000,
        shutdownGraceTimeMs: 5_000,
      });
      const entry = { worker, running: worker.run() };
      workers.push(entry);
      return entry;
    };

    const buildA = await startBuild('build-a');
    await makeCurrent('build-a');
    await startUnitWorkflows({ client: env.client, taskQueue: TASK_QUEUE, pipelines: [pipeline] });
    await eventually(async () => {
      const current = await status();
      if (current.lastRun?.status !== 'succeeded') throw new Error(JSON.stringify(current));
    });
    expect(await buildOfWorkflow()).toBe('build-a');

    await startBuild('build-b');
    await makeCurrent('build-b');
    buildA.worker.shutdown();
    await buildA.running;

    // Only build B is left: the workflow started on A answers and runs there.
    await syncUnitNow(env.client, REF);
    const after = await eventually(
      async () => {
        const current = await status();
        if (current.runs < 2 || current.running) throw new Error(JSON.stringify(current));
        return current;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(after.lastRun).toMatchObject({ status: 'succeeded', keys: null });
    expect(await buildOfWorkflow()).toBe('build-b');
    expect(destination.objects.size).toBe(1);
  }, 240_000);
});
