import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as contentful from '../../../src/connectors/contentful/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeContentful } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

describe('contentful source through the CMA', () => {
  let fake: FakeContentful;
  let store: Store;
  let now: number;
  beforeEach(async () => {
    fake = await new FakeContentful({ managementTokens: ['cma_unit'] }).start();
    now = Date.UTC(2026, 0, 5, 9, 0);
    fake.management.setClock(() => now);
    store = memoryStore();
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const make = (options: Partial<contentful.ContentfulManagementSourceOptions> = {}) => {
    const target = memory.destination();
    const pipeline = definePipeline({
      name: 'drafts',
      source: contentful.source({
        api: 'management',
        space: fake.space,
        accessToken: 'cma_unit',
        baseUrl: fake.managementUrl,
        pageSize: 3,
        requestsPerSecond: 500,
        ...options,
      }),
      destination: target,
      deletes: 'delete',
      retryMinDelayMs: 10,
    });
    return { target, run: () => runPipeline({ store, pipeline, unit: 'entries' }) };
  };
  const fields = (title: string) => ({ title: { 'en-US': title } });

  it('reads drafts, published, changed and archived entries with their status', async () => {
    fake.management.draft('idea', 'event', fields('Just an idea'));
    fake.management.draft('launch', 'event', fields('Launch'));
    fake.management.publishNow('launch');
    fake.management.draft('moved', 'event', fields('Meetup'));
    fake.management.publishNow('moved');
    now += 1000;
    fake.management.edit('moved', fields('Meetup, moved to Friday'));
    fake.management.draft('old', 'event', fields('Old'));
    fake.management.entries.get('old')!.archivedVersion = 1;
    const { target, run } = make();
    expect((await run()).stats.created).toBe(4);
    const status = (key: string) => target.byKey().get(key)!.fields.entryStatus;
    expect(status('idea')).toBe('draft');
    expect(status('launch')).toBe('published');
    expect(status('moved')).toBe('changed');
    expect(status('old')).toBe('archived');
    // The draft's text is the CMA's, not the last published one.
    expect(target.byKey().get('moved')!.fields.title).toBe('Meetup, moved to Friday');
  });

  it('reads only what changed, and misses none of the entries sharing an updatedAt across a page boundary', async () => {
    for (const id of ['a', 'b', 'c', 'd']) {
      fake.management.draft(id, 'event', fields(id));
      now += 1000;
    }
    const { target, run } = make();
    expect((await run()).stats.created).toBe(4);

    // Five entries saved in the same millisecond: more than a page (3) shares one timestamp.
    now += 60_000;
    for (const id of ['b', 'e', 'f', 'g', 'h']) {
      if (fake.management.entries.has(id)) fake.management.edit(id, fields(`${id} v2`));
      else fake.management.draft(id, 'event', fields(id));
    }
    fake.management.listQueries.length = 0;
    const second = await run();
    expect(second.stats).toMatchObject({ read: 5, created: 4, updated: 1, failed: 0 });
    expect([...target.byKey().keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    for (const query of fake.management.listQueries) {
      expect(query.get('order')).toBe('sys.updatedAt,sys.id');
      expect(query.get('sys.updatedAt[gte]')).toBeTruthy();
    }

    // One more entry saved at that same millisecond is still read, none of the others again.
    fake.management.draft('i', 'event', fields('i'));
    const third = await run();
    expect(third.stats).toMatchObject({ read: 1, created: 1, updated: 0 });

    const fourth = await run();
    expect(fourth.stats).toMatchObject({ read: 0, created: 0, updated: 0 });
  });

  it('removes a deleted entry on a full pass, after confirming it is gone', async () => {
    for (let index = 0; index < 8; index++) {
      fake.management.draft(`e${index}`, 'event', fields(`Event ${index}`));
    }
    const { target, run } = make({ mode: 'full' });
    await run();
    fake.management.remove('e4');
    fake.management.listQueries.length = 0;
    const second = await run();
    expect(second.stats.deleted).toBe(1);
    expect(target.byKey().has('e4')).toBe(false);
    expect(target.byKey().size).toBe(7);
    // The missing key was looked up by id before it was deleted downstream.
    expect(fake.management.listQueries.map((query) => query.get('sys.id[in]'))).toContain('e4');
  });

  it('names an unknown option and a page size over the CMA limit', () => {
    const base = { api: 'management', space: 's', accessToken: 't' } as const;
    expect(() => contentful.source({ ...base, pagesize: 10 } as never)).toThrow(
      /unknown option `pagesize` \(did you mean `pageSize`\?\)/,
    );
    expect(() => contentful.source({ ...base, pageSize: 1001 })).toThrow(/pageSize/);
    expect(() => contentful.source({ ...base, api: 'preview' } as never)).toThrow(
      /'delivery' or 'management'/,
    );
  });
});
