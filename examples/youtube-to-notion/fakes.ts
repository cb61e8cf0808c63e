import { FakeNotion, FakeYouTube } from '../../test/fakes/index.js';

export const CHANNEL_ID = 'UCexampleexampleexample0';

export interface Fakes {
  readonly youtube: FakeYouTube;
  readonly notion: FakeNotion;
  readonly dataSourceId: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** A fake YouTube channel with `videos` uploads (one a day) and a fake Notion content database. */
export async function startFakes(videos: number): Promise<Fakes> {
  const youtube = await new FakeYouTube({ keys: ['AIza_example'] }).start();
  const notion = await new FakeNotion({
    tokens: ['secret_example'],
    rateLimit: { requestsPerSecond: 3, burst: 3 },
  }).start();
  youtube.addChannel(CHANNEL_ID, '@keepsync-example');
  for (let index = 0; index < videos; index++) {
    youtube.addVideo(CHANNEL_ID, {
      title: `Episode ${index + 1}`,
      description: `Show notes of episode ${index + 1}`,
      publishedAt: new Date(Date.now() - (index + 1) * 86_400_000).toISOString(),
      viewCount: 100 * (index + 1),
    });
  }
  const { dataSourceId } = notion.createDatabase('Content calendar', {
    Name: { type: 'title' },
    'Video ID': { type: 'rich_text' },
  });
  return {
    youtube,
    notion,
    dataSourceId,
    env: {
      YOUTUBE_API_URL: youtube.url,
      YOUTUBE_API_KEY: 'AIza_example',
      YOUTUBE_CHANNEL: '@keepsync-example',
      NOTION_API_URL: notion.url,
      NOTION_TOKEN: 'secret_example',
      NOTION_DATA_SOURCE_ID: dataSourceId,
    },
    async close() {
      await youtube.close();
      await notion.close();
    },
  };
}
