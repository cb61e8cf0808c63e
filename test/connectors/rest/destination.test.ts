import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import * as rest from '../../../src/connectors/rest/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeRest } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

describe('rest destination with POST-created ids', () => {
  let fake: FakeRest | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  for (const idFrom of ['body', 'location'] as const) {
    it(`keeps the id from the ${idFrom === 'body' ? 'answer body' : 'Location header'} and writes later changes to it`, async () => {
      fake = await new FakeRest().start();
      const rows = [
        { key: 'talk-1', fields: { title: 'Opening' } },
        { key: 'talk-2', fields: { title: 'Closing' } },
      ];
      const store = memoryStore();
      const pipeline = definePipeline({
        name: 'api',
        source: memory.source({ units: { all: () => rows } }),
        destination: rest.destination({
          url: `${fake.url}/v1/items/{id}`,
          create: { url: `${fake.url}/v1/items`, ...(idFrom === 'body' ? { idPath: 'id' } : {}) },
          headers: { Authorization: 'Bearer rest_test' },
        }),
      });
      expect((await runPipeline({ store, pipeline, unit: 'all' })).stats.created).toBe(2);
      const ids = [...fake.items.keys()];
      expect(ids).toHaveLength(2);
      expect(ids.every((id) => id.startsWith('itm_'))).toBe(true);

      rows[0] = { key: 'talk-1', fields: { title: 'Opening keynote' } };
      fake.server.resetCounts();
      const second = await runPipeline({ store, pipeline, unit: 'all' });
      expect(second.stats).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
      expect(fake.server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        `PUT /v1/items/${ids[0]}`,
      ]);
      expect(fake.items.size).toBe(2);
      expect(fake.items.get(ids[0]!)!.title).toBe('Opening keynote');
    });
  }

  it('fails the run, naming the record and the option, when a POST answers without an id', async () => {
    fake = await new FakeRest().start();
    const store = memoryStore();
    const pipeline = definePipeline({
      name: 'api',
      source: memory.source({ units: { all: [{ key: 'talk-1', fields: { title: 'Opening' } }] } }),
      destination: rest.destination({
        url: `${fake.url}/v1/items/{id}`,
        create: { url: `${fake.url}/v1/items`, idPath: 'data.id' },
        headers: { Authorization: 'Bearer rest_test' },
      }),
    });
    const result = await runPipeline({ store, pipeline, unit: 'all' });
    expect(result.status).toBe('failed');
    expect(result.error).toContain('without the new id at `data.id` (record talk-1)');
    expect(result.stats.failed).toBe(0);
  });

  it('refuses a create url without `{id}`', () => {
    expect(() =>
      rest.destination({
        url: 'https://api.example.com/v1/items/{key}',
        create: { url: 'https://api.example.com/v1/items' },
      }),
    ).toThrow('to contain `{id}`');
  });
});
