/**
 * Every video a YouTube channel published in the last 21 days becomes a row of a Notion content
 * database, its view count refreshed every six hours. Against the real services, set
 * YOUTUBE_API_KEY, YOUTUBE_CHANNEL, NOTION_TOKEN and NOTION_DATA_SOURCE_ID; the example's
 * `main.ts` points it at local fakes instead.
 */
import { defineConfig } from 'keepsync';
import * as notion from 'keepsync/connectors/notion';
import * as youtube from 'keepsync/connectors/youtube';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`Set ${name}`);
  return value;
};

export default defineConfig({
  store: { sqlite: env('KEEPSYNC_STATE', '.keepsync/keepsync.db') },
  pipelines: [
    {
      name: 'channel-videos',
      source: youtube.source({
        channels: [env('YOUTUBE_CHANNEL')],
        apiKey: env('YOUTUBE_API_KEY'),
        rootUrl: env('YOUTUBE_API_URL', 'https://youtube.googleapis.com/'),
        lookbackDays: 21,
      }),
      destination: notion.destination({
        dataSourceId: env('NOTION_DATA_SOURCE_ID'),
        auth: { token: env('NOTION_TOKEN') },
        baseUrl: env('NOTION_API_URL', 'https://api.notion.com'),
        keyProperty: 'Video ID',
        properties: {
          Name: { type: 'title', field: 'title' },
          Summary: { type: 'rich_text', field: 'description' },
          Reach: { type: 'number', field: 'views' },
          Date: { type: 'date', field: 'publishedAt' },
          URL: { type: 'url', field: 'url' },
        },
        createMissingProperties: true,
      }),
      schedule: { everyMs: 6 * 3_600_000 },
    },
  ],
});
