import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import * as rest from '../../../src/connectors/rest/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeRest, type FakeRestPaging } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const STYLES: Array<[FakeRestPaging, rest.RestPagination, string | undefined]> = [
  ['link', { style: 'link' }, ''],
  ['cursor', { style: 'cursor', param: 'cursor', next: 'meta.next_cursor' }, 'data'],
  ['hal', { style: 'auto' }, undefined],
  ['link', { style: 'auto' }, undefined],
];

describe('rest source', () => {
  let fake: FakeRest | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  for (const [paging, pagination, records] of STYLES) {
    it(`reads every page of a ${paging} listing with ${pagination.style} pagination`, async () => {
      fake = await new FakeRest({ paging, pageSize: 10 }).start();
      for (let index = 0; index < 34; index++) fake.put(`i${index}`, `Item ${index}`);
      const target = memory.destination();
      const store = memoryStore();
      const pipeline = definePipeline({
        name: 'api',
        source: rest.source({
          url: `${fake.url}/v1/items`,
          ...(records === undefined ? {} : { records }),
          pagination,
          headers: { Authorization: 'Bearer rest_test' },
        }),
        destination: target,
      });
      const result = await runPipeline({ store, pipeline, unit: 'all' });
      expect(result.stats.created).toBe(34);
      expect(target.byKey().get('i7')!.fields.title).toBe('Item 7');
      expect(fake.server.count({ path: /\/v1\/items$/ })).toBe(4);
      await store.close();
    });
  }

  it('resumes a pass at the page after the last committed one', async () => {
    fake = await new FakeRest({ paging: 'link', pageSize: 10 }).start();
    for (let index = 0; index < 30; index++) fake.put(`i${index}`, `Item ${index}`);
    const store = memoryStore();
    const target = memory.destination();
    const make = () =>
      definePipeline({
        name: 'api',
        source: rest.source({
          url: `${fake!.url}/v1/items`,
          records: '',
          pagination: { style: 'link' },
          headers: { Authorization: 'Bearer rest_test' },
          retries: 0,
        }),
        destination: target,
      });
    // The run dies after its second page: two pages are committed, their cursor is the third's URL.
    let served = 0;
    const first = await runPipeline({
      store,
      pipeline: definePipeline({
        name: 'api',
        source: {
          ...make().source,
          read: async function* (unit, options) {
            for await (const page of make().source.read(unit, options)) {
              yield page;
              if (++served === 2) throw new Error('process died');
            }
          },
        },
        destination: target,
      }),
      unit: 'all',
    });
    expect(first.status).toBe('failed');
    fake.server.resetCounts();
    const second = await runPipeline({ store, pipeline: make(), unit: 'all' });
    expect(second.status).toBe('succeeded');
    expect(fake.server.count({ path: /\/v1\/items$/ })).toBe(1);
    expect(target.byKey().size).toBe(30);
    await store.close();
  });

  it('refuses unknown options and a non-http URL by name', () => {
    expect(() => rest.source({ url: 'https://x.test/a', pagesize: 3 } as never)).toThrow(
      'rest.source: unknown option `pagesize`',
    );
    expect(() => rest.source({ url: 'ftp://x.test/a' })).toThrow('to be http(s)');
  });
});
