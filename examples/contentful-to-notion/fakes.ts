import { FakeContentful, FakeNotion } from '../../test/fakes/index.js';

const CHANNELS = ['Email', 'Social', 'Events', 'Blog'];

export interface Fakes {
  readonly contentful: FakeContentful;
  readonly notion: FakeNotion;
  readonly dataSourceId: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** The fields of campaign `index` as Contentful stores them (one value per locale). */
export function campaignFields(index: number, title = `Campaign ${index + 1}`) {
  return {
    title: { 'en-US': title },
    launchDate: { 'en-US': new Date(Date.UTC(2027, 0, 4 + 7 * index)).toISOString().slice(0, 10) },
    channel: { 'en-US': CHANNELS[index % CHANNELS.length]! },
    summary: { 'en-US': `What campaign ${index + 1} is about`, 'de-DE': `Worum es geht` },
  };
}

/** A fake Contentful space with `campaigns` published campaigns (and one blog post) and a fake Notion. */
export async function startFakes(campaigns: number): Promise<Fakes> {
  const contentful = await new FakeContentful({ tokens: ['cda_example'] }).start();
  const notion = await new FakeNotion({
    tokens: ['secret_example'],
    rateLimit: { requestsPerSecond: 3, burst: 3 },
  }).start();
  for (let index = 0; index < campaigns; index++) {
    contentful.publish(`campaign-${index + 1}`, 'campaign', campaignFields(index));
  }
  // Not a campaign: the content-type filter keeps it out of the calendar.
  contentful.publish('post-1', 'blogPost', { title: { 'en-US': 'Hello' } });
  const { dataSourceId } = notion.createDatabase('Marketing calendar', {
    Name: { type: 'title' },
    'Entry ID': { type: 'rich_text' },
  });
  return {
    contentful,
    notion,
    dataSourceId,
    env: {
      CONTENTFUL_SPACE: contentful.space,
      CONTENTFUL_TOKEN: 'cda_example',
      CONTENTFUL_API_URL: contentful.url,
      NOTION_API_URL: notion.url,
      NOTION_TOKEN: 'secret_example',
      NOTION_DATA_SOURCE_ID: dataSourceId,
    },
    async close() {
      await contentful.close();
      await notion.close();
    },
  };
}
