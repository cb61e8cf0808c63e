import { afterEach, describe, expect, it } from 'vitest';
import {
  campaignFields,
  type Fakes,
  startFakes,
} from '../../examples/contentful-to-notion/fakes.js';
import { calendarPipeline } from '../../examples/contentful-to-notion/pipeline.js';
import { runPipeline } from '../../src/index.js';
import { FakeNotion } from '../fakes/index.js';
import { memoryStore } from '../sync/helpers.js';

describe('Contentful -> Notion marketing calendar example', () => {
  let fakes: Fakes | undefined;
  afterEach(async () => {
    await fakes?.close();
    fakes = undefined;
  });

  it('puts every published campaign in the calendar, re-runs on one request, and follows a move and an unpublish', async () => {
    fakes = await startFakes(6);
    const store = memoryStore();
    const pipeline = calendarPipeline({
      space: fakes.contentful.space,
      contentfulToken: 'cda_example',
      contentfulUrl: fakes.contentful.url,
      notionToken: 'secret_example',
      dataSourceId: fakes.dataSourceId,
      notionUrl: fakes.notion.url,
    });
    const run = () => runPipeline({ store, pipeline, unit: 'entries' });
    const rows = () => fakes!.notion.pagesOf(fakes!.dataSourceId);
    const row = (name: string) =>
      rows().find((page) => FakeNotion.plain(page.properties.Name) === name);

    expect((await run()).stats).toMatchObject({ created: 6, failed: 0 });
    // The blog post is not a campaign.
    expect(rows()).toHaveLength(6);
    expect(FakeNotion.plain(row('Campaign 3')!.properties.Channel)).toBe('Events');
    expect(FakeNotion.plain(row('Campaign 3')!.properties.Launch)).toBe('2027-01-18');

    fakes.contentful.server.resetCounts();
    fakes.notion.server.resetCounts();
    expect((await run()).stats).toMatchObject({ read: 0, created: 0, updated: 0 });
    expect(fakes.contentful.server.requests).toHaveLength(1);
    expect(fakes.notion.server.writes([/\/query$/])).toBe(0);

    fakes.contentful.publish('campaign-2', 'campaign', {
      ...campaignFields(1),
      launchDate: { 'en-US': '2027-03-01' },
    });
    fakes.contentful.unpublish('campaign-6');
    expect((await run()).stats).toMatchObject({ updated: 1, deleted: 1, created: 0 });
    expect(FakeNotion.plain(row('Campaign 2')!.properties.Launch)).toBe('2027-03-01');
    expect(row('Campaign 6')).toBeUndefined();
    expect(rows()).toHaveLength(5);
  });
});
