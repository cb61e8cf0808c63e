import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { definePipeline, type Source } from '../../src/sync/index.js';
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

const TASK_QUEUE = 'continue-as-new-test';
const REF = { pipeline: 'rolling', unit: 'all' };

let env: TestWorkflowEnvironment | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let store: Store | undefined;
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await store?.close();
});

/** A source whose first read waits until released, so a run is surely in flight. */
function gatedSource() {
  const reads: Array<readonly string[] | null> = [];
  let entered!: () => void;
  const firstReadEntered = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const inner = memory.source({
    units: {
      all: Array.from({ length: 6 }, (_, index) => ({
        key: `k${index}`,
        fields: { title: `Record ${index}` },
      })),
    },
  });
  const source: Source = {
    ...inner,
    async *read(unit, options) {
      reads.push(options.keys ? [...options.keys] : null);
      if (reads.length === 1) {
        entered();
        await released;
      }
      yield* inner.read(unit, options);
    },
  };
  return { source, reads, firstReadEntered, release };
}

/** Every query has a deadline: one racing a continue-as-new must not hang the test. */
function status(): Promise<UnitStatus> {
  return unitStatus(env!.client, REF, { timeoutMs: 20_000 });
}

describe('pending keys across continue-as-new', () => {
  it('keys asked for during the run just before continue-as-new run in the next execution, and status still answers', async () => {
    // Continue-as-new is suggested from the first run's completion on.
    env = await startTemporalDevServer({
      dynamicConfig: ['limit.historyCount.suggestContinueAsNew=10'],
    });
    store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(5) });
    const gated = gatedSource();
    const pipeline = definePipeline({
      name: REF.pipeline,
      source: gated.source,
      destination: memory.destination(),
      schedule: { everyMs: 3_600_000 },
    });
    worker = await createKeepsyncWorker({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      store,
      pipelines: [pipeline],
      workflowBundle: await bundleKeepsyncWorkflows(),
      leaseTtlMs: 5_000,
    });
    running = worker.run();
    await startUnitWorkflows({ client: env.client, taskQueue: TASK_QUEUE, pipelines: [pipeline] });
    const handle = unitHandle(env.client, REF);

    await gated.firstReadEntered;
    const firstExecution = (await handle.describe()).runId;
    await syncUnitNow(env.client, REF, ['k3', 'k5']);
    const inFlight = await eventually(async () => {
      const current = await status();
      if (current.pendingKeys === null) throw new Error(JSON.stringify(current));
      return current;
    });
    expect(inFlight).toMatchObject({ running: true, runs: 0, syncRequested: true });
    expect([...inFlight.pendingKeys!].sort()).toEqual(['k3', 'k5']);

    gated.release();
    const after = await eventually(
      async () => {
        const current = await status();
        if (current.runs < 2 || current.running) throw new Error(JSON.stringify(current));
        return current;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    // The first execution ended in a continue-as-new, carrying the keys with it.
    const next = await handle.describe();
    expect(next.runId).not.toBe(firstExecution);
    const first = await env.client.workflow.getHandle(handle.workflowId, firstExecution).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');

    expect(gated.reads).toHaveLength(2);
    expect(gated.reads[0]).toBeNull();
    // A whole-unit run (null) here would mean the keys were dropped at the continue-as-new.
    expect(gated.reads[1] && [...gated.reads[1]].sort()).toEqual(['k3', 'k5']);
    expect(after).toMatchObject({ paused: false, syncRequested: false, pendingKeys: null });
    expect(after.lastRun).toMatchObject({ status: 'succeeded' });
    expect(after.lastRun?.keys && [...after.lastRun.keys].sort()).toEqual(['k3', 'k5']);
  }, 180_000);
});
