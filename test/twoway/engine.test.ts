import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import {
  Engine,
  listStatus,
  pauseUnits,
  requestSync,
  resumeUnits,
} from '../../src/engine/index.js';
import type { Store } from '../../src/store/index.js';
import { definePipeline } from '../../src/sync/index.js';
import { TWO_WAY_UNIT } from '../../src/twoway/index.js';
import { setup } from './helpers.js';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

describe('two-way tasks in the embedded engine', () => {
  it('runs a two-way task beside a pipeline, once, with status rows for both', async () => {
    const { left, right, store, task } = setup();
    stores.push(store);
    left.put('a', { title: 'A', done: false });
    const pipeline = definePipeline({
      name: 'copy',
      source: memory.source({ units: { u: [{ key: 'k', fields: { n: 1 } }] } }),
      destination: memory.destination(),
    });
    const engine = await Engine.create({ store, pipelines: [pipeline], tasks: [task] });
    const results = await engine.runOnce();
    expect(
      results.map((result) => `${result.pipeline}/${result.unit}:${result.status}`).sort(),
    ).toEqual(['copy/u:succeeded', `tasks/${TWO_WAY_UNIT}:succeeded`]);
    expect(right.get('a')!.fields).toEqual({ name: 'A', completed: false });
    const status = await listStatus(store, 'tasks');
    expect(status[0]).toMatchObject({ pipeline: 'tasks', unit: TWO_WAY_UNIT, paused: false });
    expect(status[0]!.lastRun?.stats).toMatchObject({ created: 1 });
  });

  it('runs on its interval, honours sync-now, pause and resume', async () => {
    const context = setup({ schedule: { everyMs: 60_000 } });
    stores.push(context.store);
    const { task } = context;
    const runs: string[] = [];
    const engine = await Engine.create({
      store: context.store,
      pipelines: [],
      tasks: [task],
      pollIntervalMs: 10,
      onRunFinished: (result) => runs.push(result.status),
    });
    context.left.put('a', { title: 'A', done: false });
    const waitFor = async (check: () => boolean) => {
      for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(check()).toBe(true);
    };
    await engine.runUntil(
      (async () => {
        // A new unit is due at once.
        await waitFor(() => runs.length === 1);
        expect(context.right.get('a')).toBeDefined();
        // The next run is a minute away: sync-now brings it forward.
        context.left.patch('a', { title: 'A2' });
        await requestSync(context.store, 'tasks', undefined, null);
        await waitFor(() => runs.length === 2);
        expect(context.right.get('a')!.fields.name).toBe('A2');
        await pauseUnits(context.store, 'tasks', undefined, 'by hand');
        context.left.patch('a', { title: 'A3' });
        await requestSync(context.store, 'tasks', undefined, null);
        await new Promise((r) => setTimeout(r, 100));
        expect(runs.length).toBe(2);
        await resumeUnits(context.store, 'tasks');
        await waitFor(() => runs.length === 3);
        expect(context.right.get('a')!.fields.name).toBe('A3');
      })(),
    );
    const [row] = await listStatus(context.store, 'tasks');
    expect(row!.nextRunAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });
});
