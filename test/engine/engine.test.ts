import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import {
  Engine,
  listStatus,
  pauseUnits,
  requestSync,
  resetPipeline,
  resumeUnits,
} from '../../src/engine/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { definePipeline, type Source } from '../../src/sync/index.js';
import { makeRecords } from '../sync/helpers.js';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function fileStore(path: string): Store {
  const store = openSqliteStore({ path, secretKey: new Uint8Array(32).fill(1) });
  stores.push(store);
  return store;
}

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'keepsync-engine-')), 'state.db');
}

/** A source whose pages wait for the test, so runs can be caught in flight. */
function slowSource(records: SyncRecord[], pageSize: number, delayMs: number): Source {
  const inner = memory.source({ units: { u: records }, pageSize });
  return {
    ...inner,
    async *read(unit, options) {
      for await (const page of inner.read(unit, options)) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        yield page;
      }
    },
  };
}

describe('embedded engine', () => {
  it('never runs one unit in two engines at once: the lease keeps the second out', async () => {
    const path = tempDb();
    const destination = memory.destination();
    let concurrent = 0;
    let maxConcurrent = 0;
    const source = slowSource(makeRecords(50), 10, 20);
    const counting: Source = {
      ...source,
      async *read(unit, options) {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        try {
          yield* source.read(unit, options);
        } finally {
          concurrent--;
        }
      },
    };
    const pipeline = definePipeline({ name: 'p', source: counting, destination });
    const [a, b] = await Promise.all([
      Engine.create({ store: fileStore(path), pipelines: [pipeline], owner: 'a' }),
      Engine.create({ store: fileStore(path), pipelines: [pipeline], owner: 'b' }),
    ]);
    const [resultsA, resultsB] = await Promise.all([a.runOnce(), b.runOnce()]);
    expect(resultsA.length + resultsB.length).toBe(1);
    expect(maxConcurrent).toBe(1);
    expect(destination.byKey().size).toBe(50);
  });

  it('lets another engine take a lease that expired (its holder died)', async () => {
    const store = fileStore(tempDb());
    await store.ensureUnit('p', 'u', new Date());
    const now = new Date();
    expect(await store.acquireLease('p', 'u', 'dead', 1000, now)).not.toBeNull();
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: makeRecords(3) } }),
      destination: memory.destination(),
    });
    const engine = await Engine.create({ store, pipelines: [pipeline], owner: 'alive' });
    expect(await engine.runOnce()).toHaveLength(0);
    expect(
      await store.acquireLease('p', 'u', 'alive', 1000, new Date(now.getTime() + 1500)),
    ).not.toBeNull();
  });

  it('keeps its timers running while another engine holds a due unit: it polls, never spins', async () => {
    const store = fileStore(tempDb());
    await store.ensureUnit('p', 'u', new Date(0));
    await store.acquireLease('p', 'u', 'other-engine', 600_000, new Date());
    let passes = 0;
    let engine: Engine | undefined;
    const counting = new Proxy(store, {
      get(target, property) {
        if (property === 'listUnits') {
          return (pipeline?: string) => {
            passes++;
            // A spinning engine never lets the test's timer fire; this ends the spin.
            if (passes === 2000) void engine?.shutdown();
            return target.listUnits(pipeline);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: makeRecords(1) } }),
      destination: memory.destination(),
    });
    engine = await Engine.create({
      store: counting,
      pipelines: [pipeline],
      owner: 'me',
      pollIntervalMs: 50,
    });

    await engine.runUntil(new Promise((resolve) => setTimeout(resolve, 300)));

    // One pass per 50 ms poll makes a handful; waking at once after each miss made thousands.
    expect(passes).toBeLessThan(100);
  });

  it('runs due units on their interval and records next run and last stats', async () => {
    const store = fileStore(tempDb());
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: makeRecords(5) } }),
      destination: memory.destination(),
      schedule: { everyMs: 3_600_000 },
    });
    const engine = await Engine.create({ store, pipelines: [pipeline], pollIntervalMs: 20 });
    const before = Date.now();
    await engine.runUntil(waitFor(async () => (await store.getUnit('p', 'u'))?.lastRunId != null));
    const [status] = await listStatus(store);
    expect(status?.lastRun?.status).toBe('succeeded');
    expect(status?.lastRun?.stats.created).toBe(5);
    expect(status?.nextRunAt?.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
  });

  it('skips paused units, and resume makes them run at once', async () => {
    const store = fileStore(tempDb());
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: makeRecords(4) } }),
      destination,
    });
    const engine = await Engine.create({ store, pipelines: [pipeline], pollIntervalMs: 20 });
    await pauseUnits(store, 'p', undefined, 'maintenance');
    expect(await engine.runOnce()).toEqual([]);
    expect((await listStatus(store))[0]).toMatchObject({
      paused: true,
      pausedReason: 'maintenance',
    });
    await store.updateUnit('p', 'u', { nextRunAt: new Date(Date.now() + 3_600_000) });
    await resumeUnits(store, 'p');
    await engine.runUntil(waitFor(async () => destination.byKey().size === 4));
    expect((await store.getUnit('p', 'u'))?.paused).toBe(false);
  });

  it('pauses a unit on an auth error with the reason, and does not run it again until resumed', async () => {
    const store = fileStore(tempDb());
    let revoked = true;
    const destination = memory.destination({
      fault: () => (revoked ? { status: 'auth', error: '401 unauthorized' } : undefined),
    });
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: makeRecords(2) } }),
      destination,
    });
    const engine = await Engine.create({ store, pipelines: [pipeline] });
    const [result] = await engine.runOnce();
    expect(result?.status).toBe('paused');
    expect((await store.getUnit('p', 'u'))?.pausedReason).toMatch(/^re-authorize, then resume/);
    expect(await engine.runOnce()).toEqual([]);
    revoked = false;
    await resumeUnits(store, 'p');
    const [after] = await engine.runOnce();
    expect(after?.stats.created).toBe(2);
  });

  it('runs a sync-now request with keys as a targeted run', async () => {
    const store = fileStore(tempDb());
    let data = makeRecords(6);
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: () => data } }),
      destination,
      schedule: { everyMs: 3_600_000 },
    });
    const engine = await Engine.create({ store, pipelines: [pipeline], pollIntervalMs: 20 });
    await engine.runOnce();
    data = data.map((record) => ({ ...record, fields: { ...record.fields, title: 'edited' } }));
    await requestSync(store, 'p', undefined, ['r1']);
    await requestSync(store, 'p', undefined, ['r2']);
    await engine.runUntil(
      waitFor(async () => (await store.getUnit('p', 'u'))?.syncRequested === false),
    );
    const titles = [...destination.byKey().values()]
      .filter((o) => o.fields.title === 'edited')
      .map((o) => o.key);
    expect(titles.sort()).toEqual(['r1', 'r2']);
    const [status] = await listStatus(store);
    expect(status?.lastRun?.trigger).toBe('keys');
  });

  it('shuts down gracefully: the page in flight is committed and the next run resumes after it', async () => {
    const store = fileStore(tempDb());
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'p',
      source: slowSource(makeRecords(100), 10, 30),
      destination,
    });
    const engine = await Engine.create({ store, pipelines: [pipeline], pollIntervalMs: 10 });
    const running = engine.run();
    await waitFor(async () => destination.byKey().size >= 20);
    await engine.shutdown();
    await running;
    expect(engine.state).toBe('stopped');
    const cursor = (await store.getCursor('p', 'u'))?.cursor as number;
    expect(cursor).toBe(destination.byKey().size);
    expect(cursor).toBeLessThan(100);
    const [run] = await store.listRuns({ pipeline: 'p', limit: 1 });
    expect(run?.status).toBe('aborted');
    const again = await Engine.create({ store, pipelines: [pipeline] });
    const [resumed] = await again.runOnce();
    expect(resumed?.stats.read).toBe(100 - cursor);
    expect(destination.byKey().size).toBe(100);
  });

  it('resets a pipeline so the next run re-reads everything, optionally truncating the destination', async () => {
    const store = fileStore(tempDb());
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: makeRecords(5) }, mode: 'incremental' }),
      destination,
    });
    const engine = await Engine.create({ store, pipelines: [pipeline] });
    await engine.runOnce();
    expect((await engine.runOnce())[0]?.stats.read).toBe(0);
    await resetPipeline(store, pipeline);
    expect((await engine.runOnce())[0]?.stats).toMatchObject({ read: 5, unchanged: 5 });
    await resetPipeline(store, pipeline, { truncate: true });
    expect(destination.objects.size).toBe(0);
    expect((await engine.runOnce())[0]?.stats).toMatchObject({ read: 5, created: 5 });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
