/**
 * A Contentful space's campaigns as a Notion marketing calendar, synced every 15 minutes.
 * Against the real services, set CONTENTFUL_SPACE, CONTENTFUL_TOKEN (a Content Delivery API
 * token), NOTION_TOKEN and NOTION_DATA_SOURCE_ID; the example's `main.ts` points it at local
 * fakes instead.
 */
import { defineConfig } from 'keepsync';
import { calendarPipelineOptions } from './pipeline.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`Set ${name}`);
  return value;
};

export default defineConfig({
  store: { sqlite: env('KEEPSYNC_STATE', '.keepsync/keepsync.db') },
  pipelines: [
    {
      ...calendarPipelineOptions({
        space: env('CONTENTFUL_SPACE'),
        contentfulToken: env('CONTENTFUL_TOKEN'),
        contentfulUrl: process.env.CONTENTFUL_API_URL,
        notionToken: env('NOTION_TOKEN'),
        dataSourceId: env('NOTION_DATA_SOURCE_ID'),
        notionUrl: process.env.NOTION_API_URL,
      }),
      schedule: { everyMs: 15 * 60_000 },
    },
  ],
});
