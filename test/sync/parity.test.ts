import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { Engine } from '../../src/engine/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import type { Store } from '../../src/store/index.js';
import { definePipeline, mergeSources, runPipeline } from '../../src/sync/index.js';
import { makeRecords, memoryStore } from './helpers.js';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function openStore(): Store {
  store = memoryStore();
  return store;
}

describe('route.owns: the owned fields, checked after the transform', () => {
  it('writes a field the transform derives and drops every field it does not own', async () => {
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'owned',
      source: memory.source({ units: { u: makeRecords(3) } }),
      destination,
      route: {
        transform: (record) => ({
          ...record,
          fields: { ...record.fields, label: `#${record.fields.n}`, secret: 'leak' },
        }),
        owns: ['title', 'label'],
      },
    });
    await runPipeline({ store: openStore(), pipeline, unit: 'u' });
    const written = [...destination.byKey().values()].map((object) => object.fields);
    expect(written).toHaveLength(3);
    for (const fields of written) {
      expect(Object.keys(fields).sort()).toEqual(['label', 'title']);
    }
  });

  it('refuses an owns list that is not field names', () => {
    expect(() =>
      definePipeline({
        name: 'bad',
        source: memory.source({ units: { u: [] } }),
        destination: memory.destination(),
        route: { owns: 'title' as unknown as string[] },
      }),
    ).toThrow(/route\.owns/);
  });
});

describe('route.syncedAtField: a sync stamp that keeps the zero-write re-run', () => {
  it('stamps each written record, writes nothing when nothing changed, restamps on a change', async () => {
    let records: SyncRecord[] = makeRecords(4);
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'stamped',
      source: memory.source({ units: { u: () => records } }),
      destination,
      route: { syncedAtField: 'Last synced' },
    });
    const run = () => runPipeline({ store: store ?? openStore(), pipeline, unit: 'u' });

    const first = await run();
    expect(first.stats.created).toBe(4);
    const stamps = new Map(
      [...destination.byKey()].map(([key, object]) => [key, object.fields['Last synced']]),
    );
    for (const stamp of stamps.values()) expect(stamp).toBeInstanceOf(Date);

    const writesBefore = destination.writes.length;
    const second = await run();
    expect(second.stats.unchanged).toBe(4);
    expect(destination.writes.length).toBe(writesBefore);

    await new Promise((resolve) => setTimeout(resolve, 5));
    records = records.map((record) =>
      record.key === 'r1' ? { ...record, fields: { ...record.fields, title: 'changed' } } : record,
    );
    const third = await run();
    expect(third.stats.updated).toBe(1);
    expect(third.stats.unchanged).toBe(3);
    const after = destination.byKey();
    expect((after.get('r1')!.fields['Last synced'] as Date).getTime()).toBeGreaterThan(
      (stamps.get('r1') as Date).getTime(),
    );
    expect(after.get('r2')!.fields['Last synced']).toEqual(stamps.get('r2'));
  });
});

describe('names are unique in code too', () => {
  it('refuses two pipelines with one name in Engine.create', async () => {
    const make = () =>
      definePipeline({
        name: 'same',
        source: memory.source({ units: { u: makeRecords(1) } }),
        destination: memory.destination(),
      });
    await expect(
      Engine.create({ store: openStore(), pipelines: [make(), make()] }),
    ).rejects.toThrow(/unique.*"same" twice/);
  });

  it('refuses mergeSources without sources', () => {
    expect(() => mergeSources({ name: 'none', sources: [] })).toThrow(/at least one source/);
  });
});

describe('Engine.runTimes: a task run N times (ultimate-notion in_total)', () => {
  it('runs every unit now, then on its schedule, exactly N times, then stops', async () => {
    let reads = 0;
    const inner = memory.source({ units: { a: makeRecords(2), b: makeRecords(2, 1, 'b') } });
    const pipeline = definePipeline({
      name: 'thrice',
      source: {
        ...inner,
        read(unit, options) {
          reads++;
          return inner.read(unit, options);
        },
      },
      destination: memory.destination(),
      schedule: { everyMs: 1000 },
    });
    const engine = await Engine.create({
      store: openStore(),
      pipelines: [pipeline],
      pollIntervalMs: 50,
    });
    const results = await engine.runTimes(3);
    expect(results.map((result) => `${result.unit}:${result.status}`).sort()).toEqual([
      'a:succeeded',
      'a:succeeded',
      'a:succeeded',
      'b:succeeded',
      'b:succeeded',
      'b:succeeded',
    ]);
    expect(reads).toBe(6);
    expect(engine.state).toBe('stopped');
  }, 60_000);

  it('refuses a count that is not a whole number of at least 1', async () => {
    const engine = await Engine.create({ store: openStore(), pipelines: [] });
    await expect(engine.runTimes(0)).rejects.toThrow(/at least 1/);
  });
});
