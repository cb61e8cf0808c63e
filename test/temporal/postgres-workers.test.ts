import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { openPostgresStore, type Store } from '../../src/store/index.js';
import { definePipeline, type Pipeline, type Source } from '../../src/sync/index.js';
import {
  bundleKeepsyncWorkflows,
  createKeepsyncWorker,
  startUnitWorkflows,
  unitStatus,
} from '../../src/temporal/index.js';
import { freshDatabase } from '../support/postgres.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

const TASK_QUEUE = 'postgres-workers';
const UNITS = 10;
const RECORDS = 30;

const database = freshDatabase('temporal_workers');
let env: TestWorkflowEnvironment | undefined;
const stores: Store[] = [];
const connections: NativeConnection[] = [];
const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
afterAll(async () => {
  for (const { worker } of workers) worker.shutdown();
  await Promise.all(workers.map(({ running }) => running));
  await Promise.all(connections.map((connection) => connection.close()));
  await env?.teardown();
  await Promise.all(stores.map((store) => store.close()));
  await database.drop();
}, 60_000);

const destination = memory.destination();
const unitData = Object.fromEntries(
  Array.from({ length: UNITS }, (_, unit) => [
    `u${unit}`,
    Array.from({ length: RECORDS }, (_, n) => ({ key: `u${unit}-${n}`, fields: { n } })),
  ]),
);
const readsBy = new Map<string, number>();

/** The config every worker loads; its source notes which worker read each page. */
function pipelinesOf(worker: string): Pipeline[] {
  const inner = memory.source({ units: unitData, pageSize: 10 });
  const source: Source = {
    ...inner,
    async *read(unit, options) {
      for await (const page of inner.read(unit, options)) {
        readsBy.set(worker, (readsBy.get(worker) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 50));
        yield page;
      }
    },
  };
  return [
    definePipeline({ name: 'shared', source, destination, schedule: { everyMs: 3_600_000 } }),
  ];
}

describe('several Temporal workers on one PostgreSQL store', () => {
  it('share the units of a task queue: every unit runs once, every record is written once', async () => {
    env = await startTemporalDevServer();
    const bundle = await bundleKeepsyncWorkflows();
    const secretKey = new Uint8Array(32).fill(9);
    for (const name of ['worker-a', 'worker-b']) {
      const store = await openPostgresStore({ connectionString: await database.url(), secretKey });
      stores.push(store);
      // A connection each, as two worker processes would have.
      const connection = await NativeConnection.connect({ address: env.address });
      connections.push(connection);
      const worker = await createKeepsyncWorker({
        connection,
        taskQueue: TASK_QUEUE,
        store,
        pipelines: pipelinesOf(name),
        workflowBundle: bundle,
        // Two runs at a time each, so neither worker can take all the units alone.
        maxConcurrentRuns: 2,
      });
      workers.push({ worker, running: worker.run() });
    }
    await startUnitWorkflows({
      client: env.client,
      taskQueue: TASK_QUEUE,
      pipelines: pipelinesOf('starter'),
    });

    for (let unit = 0; unit < UNITS; unit++) {
      const done = await eventually(
        async () => {
          const status = await unitStatus(env!.client, { pipeline: 'shared', unit: `u${unit}` });
          if (status.lastRun?.status !== 'succeeded') throw new Error(JSON.stringify(status));
          return status;
        },
        { timeoutMs: 120_000, intervalMs: 300 },
      );
      expect(done.runs).toBe(1);
      expect(done.lastStats).toMatchObject({ read: RECORDS, created: RECORDS });
    }
    // byKey() throws on a key written twice.
    expect(destination.byKey().size).toBe(UNITS * RECORDS);
    expect(destination.objects.size).toBe(UNITS * RECORDS);
    expect(readsBy.get('worker-a')).toBeGreaterThan(0);
    expect(readsBy.get('worker-b')).toBeGreaterThan(0);
    expect((readsBy.get('worker-a') ?? 0) + (readsBy.get('worker-b') ?? 0)).toBe(UNITS * 3);
    // Both workers committed to the one store: its run rows are every unit's one run.
    const runs = await stores[0]!.listRuns({ pipeline: 'shared', limit: 100 });
    expect(runs.map((run) => run.status)).toEqual(Array(UNITS).fill('succeeded'));
  }, 240_000);
});
