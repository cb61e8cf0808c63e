import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { KeepsyncError, QuotaExhaustedError } from '../../src/model/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import {
  type Destination,
  definePipeline,
  type Pipeline,
  type Source,
} from '../../src/sync/index.js';
import {
  createUnitActivities,
  type RunUnitInput,
  type RunUnitResult,
} from '../../src/temporal/index.js';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function setup(pipeline: Pipeline) {
  const store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(4) });
  stores.push(store);
  const activities = createUnitActivities({ store, pipelines: [pipeline], leaseTtlMs: 2_000 });
  return {
    store,
    runUnit: activities['keepsync.runUnit'],
    nextRunAt: activities['keepsync.nextRunAt'],
  };
}

const MANUAL: RunUnitInput = { pipeline: 'acts', unit: 'u', keys: null, trigger: 'manual' };
const records = Array.from({ length: 7 }, (_, n) => ({ key: `k${n}`, fields: { n } }));

function pipelineWith(destination: Destination = memory.destination()): Pipeline {
  return definePipeline({
    name: 'acts',
    source: memory.source({ units: { u: records }, pageSize: 3 }),
    destination,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('the run activity', () => {
  it('runs the core page loop, heartbeating each committed page, and returns only stats', async () => {
    const destination = memory.destination();
    const { runUnit, store } = setup(pipelineWith(destination));
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3_000 });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const result = (await env.run(runUnit, MANUAL)) as RunUnitResult;
    expect(result).toMatchObject({ status: 'succeeded', stats: { read: 7, created: 7, pages: 3 } });
    expect(Object.keys(result).sort()).toEqual(['runId', 'stats', 'status']);
    expect(beats.filter((beat) => (beat as { pages?: number })?.pages !== undefined)).toEqual([
      { pages: 1, read: 3 },
      { pages: 2, read: 6 },
      { pages: 3, read: 7 },
    ]);
    expect(destination.byKey().size).toBe(7);
    expect((await store.getUnit('acts', 'u'))?.lastRunId).toBe(result.runId);
    // The lease is given back.
    expect((await store.getUnit('acts', 'u'))?.leaseOwner).toBeNull();
  });

  it('fails a pipeline or unit this worker does not know as a non-retryable ConfigError', async () => {
    const { runUnit } = setup(pipelineWith());
    const env = new MockActivityEnvironment();
    const unknown = await failureOf(env.run(runUnit, { ...MANUAL, pipeline: 'other' }));
    expect(unknown).toMatchObject({ type: 'ConfigError', nonRetryable: true });
    expect(unknown.message).toMatch(/no pipeline or task named "other"/);
    const removed = await failureOf(env.run(runUnit, { ...MANUAL, unit: 'gone' }));
    expect(removed).toMatchObject({ type: 'ConfigError', nonRetryable: true });
  });

  it('fails a run refused for its config (CONFIG_INVALID from the core) as a non-retryable ConfigError', async () => {
    const misconfigured: Destination = {
      name: 'misconfigured',
      open: async () => {
        throw new KeepsyncError('CONFIG_INVALID', 'Expected `table` to name a table, got ""');
      },
    };
    const { runUnit } = setup(pipelineWith(misconfigured));
    const env = new MockActivityEnvironment();
    const failure = await failureOf(env.run(runUnit!, MANUAL));
    expect(failure.type).toBe('ConfigError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('Expected `table` to name a table');
  });

  it('reports a used-up quota as a wait until its reset, not as an auth pause', async () => {
    const resetsAt = new Date('2026-12-02T08:00:00.000Z');
    const outOfQuota: Destination = {
      name: 'out-of-quota',
      open: async () => {
        throw new QuotaExhaustedError('quotaExceeded: the daily quota is used up', resetsAt);
      },
    };
    const { runUnit } = setup(pipelineWith(outOfQuota));
    const result = (await new MockActivityEnvironment().run(runUnit!, MANUAL)) as RunUnitResult;
    expect(result).toMatchObject({
      status: 'waiting-for-quota',
      resumesAt: resetsAt.toISOString(),
    });
    expect(result.status === 'waiting-for-quota' && result.reason).toContain('quotaExceeded');
  });

  it('turns an auth error into a non-retryable AuthError with the reason', async () => {
    const destination = memory.destination({
      fault: () => ({ status: 'auth', error: 'token revoked' }),
    });
    const { runUnit } = setup(pipelineWith(destination));
    const failure = await failureOf(new MockActivityEnvironment().run(runUnit, MANUAL));
    expect(failure).toMatchObject({ type: 'AuthError', nonRetryable: true });
    expect(failure.message).toContain('token revoked');
  });

  it('fails an outage as a retryable RunFailed, and the retry resumes at the failed page', async () => {
    let broken = true;
    const inner = memory.source({ units: { u: records }, pageSize: 3, mode: 'incremental' });
    const pagesRead: unknown[] = [];
    const source: Source = {
      ...inner,
      async *read(unit, options) {
        for await (const page of inner.read(unit, options)) {
          if (broken && pagesRead.length === 1) throw new Error('source answered 503');
          pagesRead.push(page.cursor);
          yield page;
        }
      },
    };
    const destination = memory.destination();
    const { runUnit } = setup(definePipeline({ name: 'acts', source, destination }));
    const input = MANUAL;
    const failure = await failureOf(new MockActivityEnvironment().run(runUnit, input));
    expect(failure).toMatchObject({ type: 'RunFailed', nonRetryable: false });
    expect(failure.message).toContain('source answered 503');
    broken = false;
    const retried = await new MockActivityEnvironment({ attempt: 2 }).run(runUnit, input);
    // Page 1 was committed before the outage: the retry reads pages 2 and 3 only.
    expect(retried).toMatchObject({ status: 'succeeded', stats: { read: 4, created: 4 } });
    expect(destination.byKey().size).toBe(7);
  });

  it('waits for a lease another attempt still holds, then runs', async () => {
    const { runUnit, store } = setup(pipelineWith());
    await store.ensureUnit('acts', 'u', new Date());
    expect(
      await store.acquireLease('acts', 'u', 'zombie-attempt', 60_000, new Date()),
    ).toMatchObject({ owner: 'zombie-attempt' });
    const env = new MockActivityEnvironment();
    const waits: unknown[] = [];
    env.on('heartbeat', (details: unknown) => waits.push(details));
    const run = env.run(runUnit, MANUAL);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(waits).toContainEqual({ waitingForLease: true });
    await store.releaseLease('acts', 'u', 'zombie-attempt');
    expect(await run).toMatchObject({ status: 'succeeded' });
  });

  it('plans cron schedules, and refuses a bad one as a ConfigError', async () => {
    const { nextRunAt } = setup(pipelineWith());
    const env = new MockActivityEnvironment();
    expect(await env.run(nextRunAt, { cron: '0 * * * *' }, '2026-12-01T10:20:00.000Z')).toBe(
      '2026-12-01T11:00:00.000Z',
    );
    const bad = await failureOf(env.run(nextRunAt, { cron: 'often' }, '2026-12-01T10:20:00.000Z'));
    expect(bad).toMatchObject({ type: 'ConfigError', nonRetryable: true });
  });
});
