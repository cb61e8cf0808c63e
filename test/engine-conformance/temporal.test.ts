import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import * as memory from '../../src/connectors/memory/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline } from '../../src/sync/index.js';
import {
  bundleKeepsyncWorkflows,
  createKeepsyncWorker,
  pauseUnit,
  resumeUnit,
  startUnitWorkflows,
  syncUnitNow,
  type UnitStatus,
  unitStatus,
} from '../../src/temporal/index.js';
import { crashWorkerArgs } from '../support/engine-crash.js';
import { startTemporalDevServer } from '../support/temporal.js';
import { type ConformanceStatus, CRASH_REF, describeEngineConformance } from './cases.js';

const TASK_QUEUE = 'conformance';
const CRASH_TASK_QUEUE = 'conformance-crash';

/** The unit workflow's `status` query, in the suite's shape. */
function conformanceStatus(status: UnitStatus): ConformanceStatus {
  return {
    paused: status.paused,
    pausedReason: status.pausedReason,
    runs: status.runs,
    running: status.running,
    lastRun: status.lastRun
      ? { status: status.lastRun.status, targeted: status.lastRun.keys !== null }
      : null,
    lastStats: status.lastStats,
    nextRunAt: status.nextRunAt === null ? null : new Date(status.nextRunAt),
    waitingForQuotaUntil: status.waitingForQuotaUntil
      ? new Date(status.waitingForQuotaUntil)
      : null,
  };
}

describeEngineConformance('Temporal (dev server)', () => {
  const store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(7) });
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let bundle: Awaited<ReturnType<typeof bundleKeepsyncWorkflows>> | undefined;
  const client = () => env!.client;
  return {
    async start(pipelines) {
      env = await startTemporalDevServer();
      bundle = await bundleKeepsyncWorkflows();
      worker = await createKeepsyncWorker({
        connection: env.nativeConnection,
        taskQueue: TASK_QUEUE,
        store,
        pipelines,
        workflowBundle: bundle,
        leaseTtlMs: 5_000,
      });
      running = worker.run();
      await startUnitWorkflows({
        client: env.client,
        taskQueue: TASK_QUEUE,
        pipelines,
        activity: { heartbeatTimeoutMs: 10_000, maximumAttempts: 2 },
      });
    },
    async stop() {
      worker?.shutdown();
      await running;
      await env?.teardown();
      await store.close();
    },
    syncNow: (ref, keys) => syncUnitNow(client(), ref, keys),
    pause: (ref, reason) => pauseUnit(client(), ref, reason),
    resume: (ref) => resumeUnit(client(), ref),
    async status(ref) {
      return conformanceStatus(await unitStatus(client(), ref, { timeoutMs: 20_000 }));
    },
    crash: {
      // The run activity turns read-ahead off: the bound of one page.
      maxPagesReReadPerKill: 1,
      async prepare(files) {
        writeFileSync(join(files.dir, 'workflows.js'), (bundle as { code: string }).code);
        // The starter needs only the pipeline's name and units; the workers hold the real one.
        const starter = definePipeline({
          name: CRASH_REF.pipeline,
          source: memory.source({ units: { [CRASH_REF.unit]: [] } }),
          destination: memory.destination(),
          schedule: { everyMs: 3_600_000 },
        });
        await startUnitWorkflows({
          client: client(),
          taskQueue: CRASH_TASK_QUEUE,
          pipelines: [starter],
          activity: { heartbeatTimeoutMs: 3_000, maximumAttempts: 20 },
        });
      },
      workerArgs: (files) =>
        crashWorkerArgs('temporal', files, [
          env!.address,
          CRASH_TASK_QUEUE,
          join(files.dir, 'workflows.js'),
        ]),
      async status() {
        return conformanceStatus(await unitStatus(client(), CRASH_REF, { timeoutMs: 20_000 }));
      },
    },
  };
});
