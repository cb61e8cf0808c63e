import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import type { Store } from '../../src/store/index.js';
import { definePipeline, runPipeline } from '../../src/sync/index.js';
import { memoryStore } from './helpers.js';

let store: Store;
afterEach(async () => {
  await store?.close();
});

/** Records shaped like the no-change bench's: flat fields, a Date, a nested value, a body. */
function makeRecord(index: number): SyncRecord {
  return {
    key: `rec-${index}`,
    fields: {
      title: `Record number ${index}`,
      stars: index % 50,
      score: index / 10,
      archived: index % 3 === 0,
      updated: new Date(Date.UTC(2024, 0, 1) + index * 1000),
      tags: { primary: 'a', extra: [1, 2] },
    },
    body: `Body of ${index}`,
  };
}

describe('the no-change pass', () => {
  it('still writes the one record that changed in a page of a thousand unchanged ones', async () => {
    store = memoryStore();
    let records = Array.from({ length: 2000 }, (_, index) => makeRecord(index));
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: () => records }, pageSize: 1000 }),
      destination,
    });
    const run = () => runPipeline({ store, pipeline, unit: 'u' });
    expect((await run()).stats).toMatchObject({ created: 2000, updated: 0 });
    expect((await run()).stats).toMatchObject({ created: 0, updated: 0, unchanged: 2000 });

    // One change per page, each in a different place: a nested member, a Date, the body.
    records = records.map((record, index) => {
      if (index === 417) {
        return { ...record, fields: { ...record.fields, tags: { primary: 'a', extra: [1, 3] } } };
      }
      if (index === 1500) {
        return { ...record, fields: { ...record.fields, updated: new Date(Date.UTC(2025, 0, 1)) } };
      }
      if (index === 1999) return { ...record, body: 'A new body' };
      return record;
    });
    const writesBefore = destination.writes.length;
    const result = await run();
    expect(result.stats).toMatchObject({ created: 0, updated: 3, unchanged: 1997, pages: 2 });
    expect(destination.writes.slice(writesBefore).map((op) => op.key)).toEqual([
      'rec-417',
      'rec-1500',
      'rec-1999',
    ]);
    expect(destination.byKey().get('rec-417')?.fields.tags).toEqual({
      primary: 'a',
      extra: [1, 3],
    });
    expect(destination.byKey().get('rec-1999')?.body).toBe('A new body');
  });
});
