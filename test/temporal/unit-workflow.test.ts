import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { definePipeline, type Pipeline } from '../../src/sync/index.js';
import {
  bundleKeepsyncWorkflows,
  createKeepsyncWorker,
  pauseUnit,
  resumeUnit,
  startUnitWorkflows,
  syncUnitNow,
  type UnitStatus,
  unitHandle,
  unitStatus,
} from '../../src/temporal/index.js';
import { defineTwoWay, TWO_WAY_UNIT } from '../../src/twoway/index.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

const TASK_QUEUE = 'unit-workflow-test';
const HOUR = 3_600_000;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let store: Store;

// Mutable source data, so a test can change records between runs.
const rows: Record<string, SyncRecord[]> = {
  a: records('a', 5),
  b: records('b', 3),
  auth: records('auth', 2),
  sched: records('sched', 1),
  stray: records('stray', 1),
};
let authBroken = true;

function records(prefix: string, count: number, title = 'v1'): SyncRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `${prefix}${index}`,
    fields: { title: `${title} ${prefix}${index}` },
  }));
}

const mainDestination = memory.destination();
const authDestination = memory.destination({
  fault: () =>
    authBroken ? { status: 'auth', error: 'token revoked by the provider' } : undefined,
});
const pipelines: Pipeline[] = [
  definePipeline({
    name: 'main',
    source: memory.source({
      units: { a: () => rows.a!, b: () => rows.b!, stray: () => rows.stray! },
      pageSize: 2,
    }),
    destination: mainDestination,
    schedule: { everyMs: HOUR },
  }),
  definePipeline({
    name: 'authy',
    source: memory.source({ units: { auth: () => rows.auth! } }),
    destination: authDestination,
    schedule: { everyMs: HOUR },
  }),
  definePipeline({
    name: 'timed',
    source: memory.source({ units: { sched: () => rows.sched! } }),
    destination: memory.destination(),
    schedule: { everyMs: HOUR },
  }),
];

// A two-way task is a workflow of its own, beside the pipelines' (issue 11, item 1).
const leftTable = memory.table({ name: 'left' });
const rightTable = memory.table({ name: 'right' });
leftTable.put('l1', { title: 'Write the report', done: false });
rightTable.put('r1', { name: 'Book the room', completed: true });
const tasks = [
  defineTwoWay({
    name: 'todo-sync',
    fields: { title: 'name', done: 'completed' },
    left: leftTable.side,
    right: rightTable.side,
    schedule: { everyMs: HOUR },
  }),
];

function status(pipeline: string, unit: string): Promise<UnitStatus> {
  return unitStatus(env.client, { pipeline, unit }, { timeoutMs: 20_000 });
}

async function statusWhere(
  pipeline: string,
  unit: string,
  check: (status: UnitStatus) => boolean,
): Promise<UnitStatus> {
  return eventually(async () => {
    const current = await status(pipeline, unit);
    if (!check(current)) throw new Error(`status not reached yet: ${JSON.stringify(current)}`);
    return current;
  });
}

beforeAll(async () => {
  env = await startTemporalDevServer({
    // Continue-as-new after a handful of runs, so every test also crosses history rolls.
    dynamicConfig: ['limit.historyCount.suggestContinueAsNew=40'],
  });
  store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(7) });
  worker = await createKeepsyncWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    store,
    pipelines,
    tasks,
    workflowBundle: await bundleKeepsyncWorkflows(),
    leaseTtlMs: 5_000,
  });
  running = worker.run();
  await startUnitWorkflows({
    client: env.client,
    taskQueue: TASK_QUEUE,
    pipelines,
    tasks,
    activity: { heartbeatTimeoutMs: 10_000, maximumAttempts: 2 },
  });
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await store?.close();
});

describe('the unit workflow on a real Temporal server', () => {
  it('runs a new unit at once, without waiting for its interval', async () => {
    const done = await statusWhere('main', 'a', (s) => s.runs >= 1 && !s.running);
    expect(done.lastRun?.status).toBe('succeeded');
    expect(done.lastStats).toMatchObject({ read: 5, created: 5, pages: 3 });
    expect(done.lastError).toBeNull();
    // Next run one interval after this one, not now.
    expect(Date.parse(done.nextRunAt!)).toBeGreaterThan(Date.now() + HOUR / 2);
    expect([...mainDestination.byKey().keys()].filter((key) => key.startsWith('a'))).toHaveLength(
      5,
    );
  });

  it('syncNow with keys runs only those keys and leaves the schedule alone', async () => {
    const before = await statusWhere('main', 'b', (s) => s.runs >= 1 && !s.running);
    rows.b = records('b', 3, 'v2');
    await syncUnitNow(env.client, { pipeline: 'main', unit: 'b' }, ['b1']);
    const after = await statusWhere('main', 'b', (s) => s.runs > before.runs && !s.running);
    expect(after.lastRun?.keys).toEqual(['b1']);
    expect(after.lastStats).toMatchObject({ updated: 1 });
    expect(after.nextRunAt).toBe(before.nextRunAt);
    const objects = mainDestination.byKey();
    expect(objects.get('b1')?.fields.title).toBe('v2 b1');
    expect(objects.get('b0')?.fields.title).toBe('v1 b0');

    // Without keys: the whole unit, and a zero-write pass for what is already there.
    await syncUnitNow(env.client, { pipeline: 'main', unit: 'b' });
    const whole = await statusWhere('main', 'b', (s) => s.runs > after.runs && !s.running);
    expect(whole.lastRun?.keys).toBeNull();
    expect(whole.lastStats).toMatchObject({ read: 3, updated: 2, unchanged: 1, created: 0 });
  });

  it('pauses on an auth error with the reason, and resume runs again once fixed', async () => {
    const paused = await statusWhere('authy', 'auth', (s) => s.paused);
    expect(paused.pausedReason).toContain('token revoked by the provider');
    expect(paused.lastRun?.status).toBe('paused');
    expect(authDestination.objects.size).toBe(0);

    authBroken = false;
    await resumeUnit(env.client, { pipeline: 'authy', unit: 'auth' });
    const resumed = await statusWhere(
      'authy',
      'auth',
      (s) => !s.paused && s.runs > paused.runs && !s.running,
    );
    expect(resumed.lastRun?.status).toBe('succeeded');
    expect(resumed.pausedReason).toBeNull();
    expect(authDestination.objects.size).toBe(2);
  });

  it('runs a two-way task as its own workflow: merged at once, and again on syncNow', async () => {
    const first = await statusWhere('todo-sync', TWO_WAY_UNIT, (s) => s.runs >= 1 && !s.running);
    expect(first.lastRun?.status).toBe('succeeded');
    const names = (table: memory.MemoryTable) =>
      [...table.rows().values()].map((row) => row.fields.title ?? row.fields.name).sort();
    expect(names(leftTable)).toEqual(['Book the room', 'Write the report']);
    expect(names(rightTable)).toEqual(['Book the room', 'Write the report']);

    leftTable.patch('l1', { done: true });
    await syncUnitNow(env.client, { pipeline: 'todo-sync', unit: TWO_WAY_UNIT });
    await statusWhere('todo-sync', TWO_WAY_UNIT, (s) => s.runs > first.runs && !s.running);
    const mirrored = [...rightTable.rows().values()].find(
      (row) => row.fields.name === 'Write the report',
    );
    expect(mirrored?.fields.completed).toBe(true);
  });

  it('survives stray signal payloads and keeps answering', async () => {
    const ref = { pipeline: 'main', unit: 'stray' };
    const before = await statusWhere('main', 'stray', (s) => s.runs >= 1 && !s.running);
    const handle = unitHandle(env.client, ref);
    await handle.signal('setSchedule', 'every day please');
    await handle.signal('setSchedule', { everyMs: -5 });
    await handle.signal('pause', { reason: 12 });
    await handle.signal('syncNow', { not: 'keys' }, 42, null);
    const paused = await statusWhere('main', 'stray', (s) => s.paused);
    expect(paused.pausedReason).toBe('paused by signal');
    expect(paused.schedule).toEqual({ everyMs: HOUR });
    // A sync-now while paused waits for resume.
    expect(paused.syncRequested).toBe(true);
    await handle.signal('resume', 'extra', ['payload']);
    const resumed = await statusWhere(
      'main',
      'stray',
      (s) => !s.paused && s.runs > before.runs && !s.running && !s.syncRequested,
    );
    expect(resumed.lastRun?.status).toBe('succeeded');
    // No workflow task failed on the way.
    const history = await handle.fetchHistory();
    const failures = (history.events ?? []).filter(
      (event) => event.workflowTaskFailedEventAttributes,
    );
    expect(failures).toEqual([]);
  });

  it('setSchedule takes effect: a short interval runs on its own, across continue-as-new', async () => {
    const ref = { pipeline: 'timed', unit: 'sched' };
    const first = await statusWhere('timed', 'sched', (s) => s.runs >= 1 && !s.running);
    const handle = unitHandle(env.client, ref);
    const firstRunId = (await handle.describe()).runId;
    await handle.signal('setSchedule', { everyMs: 1000 });
    // Enough runs to roll history several times; the status counters keep counting.
    const later = await statusWhere('timed', 'sched', (s) => s.runs >= first.runs + 8);
    expect(later.schedule).toEqual({ everyMs: 1000 });
    expect(later.lastError).toBeNull();
    expect((await handle.describe()).runId).not.toBe(firstRunId);
    await pauseUnit(env.client, ref, 'enough');
    const paused = await statusWhere('timed', 'sched', (s) => s.paused && !s.running);
    expect(paused.pausedReason).toBe('enough');
  }, 120_000);

  it('starting again is idempotent and stops the workflows of removed units', async () => {
    const again = await startUnitWorkflows({
      client: env.client,
      taskQueue: TASK_QUEUE,
      pipelines,
      stopRemoved: false,
    });
    expect(again.ensured).toContain('keepsync:main:a');
    const aRuns = (await status('main', 'a')).runs;
    // Same schedule: nothing ran, nothing rescheduled.
    expect((await status('main', 'a')).runs).toBe(aRuns);

    const onlyA = definePipeline({
      name: 'main',
      source: memory.source({ units: { a: () => rows.a! } }),
      destination: mainDestination,
      schedule: { everyMs: HOUR },
    });
    const reconciled = await eventually(async () => {
      const result = await startUnitWorkflows({
        client: env.client,
        taskQueue: TASK_QUEUE,
        pipelines: [onlyA, pipelines[1]!, pipelines[2]!],
      });
      // Visibility is eventually consistent: retry until the listing shows them.
      if (!result.stopped.includes('keepsync:main:b')) throw new Error('not listed yet');
      return result;
    });
    expect(reconciled.stopped).toEqual(
      expect.arrayContaining(['keepsync:main:b', 'keepsync:main:stray']),
    );
    expect(reconciled.stopped).not.toContain('keepsync:main:a');
    await eventually(async () => {
      const description = await unitHandle(env.client, { pipeline: 'main', unit: 'b' }).describe();
      if (description.status.name !== 'CANCELLED') throw new Error(description.status.name);
    });
  });
});
