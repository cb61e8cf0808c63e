import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as contentful from '../../../src/connectors/contentful/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeContentful } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

describe('contentful source', () => {
  let fake: FakeContentful;
  let store: Store;
  beforeEach(async () => {
    fake = await new FakeContentful({ tokens: ['cda_unit'] }).start();
    store = memoryStore();
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const make = (options: Partial<contentful.ContentfulSourceOptions> = {}) => {
    const target = memory.destination();
    const pipeline = definePipeline({
      name: 'calendar',
      source: contentful.source({
        space: fake.space,
        accessToken: 'cda_unit',
        baseUrl: fake.url,
        pageSize: 100,
        ...options,
      }),
      destination: target,
      deletes: 'delete',
    });
    return { target, run: () => runPipeline({ store, pipeline, unit: 'entries' }) };
  };

  it('costs one sync request when nothing changed, and gets an unpublished entry as a deletion', async () => {
    for (let index = 0; index < 250; index++) {
      fake.publish(`e${index}`, 'event', { title: { 'en-US': `Event ${index}` } });
    }
    const { target, run } = make();
    expect((await run()).stats.created).toBe(250);
    expect(fake.server.count({ path: /\/sync$/ })).toBe(3);

    fake.server.resetCounts();
    expect((await run()).stats).toMatchObject({ read: 0, created: 0, updated: 0 });
    expect(fake.server.requests).toHaveLength(1);

    fake.unpublish('e7');
    fake.server.resetCounts();
    const third = await run();
    expect(third.stats.deleted).toBe(1);
    expect(target.byKey().has('e7')).toBe(false);
    expect(fake.server.requests).toHaveLength(1);
  });

  it('takes each field in the chosen locale, falls back to the first one present, and keeps only the content types asked for', async () => {
    fake.publish('talk', 'event', {
      title: { 'en-US': 'Keynote', 'de-DE': 'Grundsatzrede' },
      room: { 'en-US': 'Hall A' },
      speaker: { 'en-US': { sys: { type: 'Link', linkType: 'Entry', id: 'ann' } } },
    });
    fake.publish('ann', 'person', { name: { 'en-US': 'Ann' } });
    const { target, run } = make({ locale: 'de-DE', contentTypes: ['event'] });
    await run();
    expect([...target.byKey().keys()]).toEqual(['talk']);
    expect(target.byKey().get('talk')!.fields).toEqual({
      contentType: 'event',
      title: 'Grundsatzrede',
      room: 'Hall A',
      speaker: { linkType: 'Entry', id: 'ann' },
    });
  });
});
