import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import type { Cursor } from '../../src/model/index.js';
import type { Store } from '../../src/store/index.js';
import { definePipeline, mergeSources, runPipeline, type Source } from '../../src/sync/index.js';
import { memoryStore } from './helpers.js';

let store: Store;
afterEach(async () => {
  await store?.close();
});

/** A full source of two pages that counts its complete passes in `nextPassCursor`. */
function countingSource(given: Cursor[]): Source {
  return {
    name: 'counting',
    mode: 'full',
    units: () => [{ id: 'u' }],
    async *read(_unit, { cursor }) {
      given.push(cursor);
      const passes = (cursor as { passes?: number } | null)?.passes ?? 0;
      const page = (cursor as { page?: number } | null)?.page ?? 1;
      const nextPassCursor = { passes: passes + 1 };
      if (page === 1) {
        yield { records: [{ key: 'a', fields: {} }], cursor: { passes, page: 2 }, nextPassCursor };
      }
      yield { records: [{ key: 'b', fields: {} }], cursor: null, nextPassCursor };
    },
  };
}

describe('state a full-mode source keeps across passes (nextPassCursor)', () => {
  it('starts the next full pass from the nextPassCursor of the last one, not from null', async () => {
    store = memoryStore();
    const given: Cursor[] = [];
    const pipeline = definePipeline({
      name: 'p',
      source: countingSource(given),
      destination: memory.destination(),
      deletes: 'delete',
    });
    for (let run = 0; run < 3; run++) await runPipeline({ store, pipeline, unit: 'u' });
    expect(given).toEqual([null, { passes: 1 }, { passes: 2 }]);
  });

  it('keeps it per lane in a merged source', async () => {
    store = memoryStore();
    const given: Cursor[] = [];
    const pipeline = definePipeline({
      name: 'p',
      source: mergeSources({ name: 'merged', sources: [countingSource(given)] }),
      destination: memory.destination(),
    });
    for (let run = 0; run < 2; run++) await runPipeline({ store, pipeline, unit: 'u' });
    expect(given).toEqual([null, { passes: 1 }]);
  });
});
