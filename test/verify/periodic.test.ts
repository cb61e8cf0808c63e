import { describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { Engine } from '../../src/engine/index.js';
import type { RunResult } from '../../src/sync/index.js';
import { definePipeline, runPipeline } from '../../src/sync/index.js';
import { makeRecords, memoryStore } from '../sync/helpers.js';

describe('periodic drift verification (`verify` on a pipeline)', () => {
  it('verifies and repairs after a scheduled run once due, and not again before `everyMs`', async () => {
    const store = memoryStore();
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'contacts',
      source: memory.source({ units: { all: makeRecords(12) } }),
      destination,
      verify: { everyMs: 3_600_000 },
    });
    try {
      await runPipeline({ store, pipeline, unit: 'all' });
      const object = [...destination.objects.values()].find((o) => o.key === 'r4')!;
      object.fields = { ...object.fields, title: 'edited by hand' };

      const finished: RunResult[] = [];
      const engine = await Engine.create({
        store,
        pipelines: [pipeline],
        onRunFinished: (result) => finished.push(result),
      });
      const [run] = await engine.runOnce();
      expect(run!.stats).toMatchObject({ unchanged: 12, updated: 0 });
      expect(object.fields.title).toBe('Record 4');
      expect(finished.map((result) => result.stats.drift ?? null)).toEqual([
        null,
        { missing: 0, changed: 1, extra: 0, repaired: 1 },
      ]);

      object.fields = { ...object.fields, title: 'edited again' };
      await engine.runOnce();
      // Verified an hour ago at most: not due, so the edit waits for the next verification.
      expect(object.fields.title).toBe('edited again');
      const triggers = (await store.listRuns({ pipeline: 'contacts', limit: 10 })).map(
        (row) => row.trigger,
      );
      expect(triggers).toEqual(['schedule', 'repair', 'verify', 'schedule', 'manual']);
    } finally {
      await store.close();
    }
  });
});
