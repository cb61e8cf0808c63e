/**
 * Every repository of a GitHub organisation becomes a row of a Notion database, kept current.
 * Against the real services, set GITHUB_TOKEN, NOTION_TOKEN and NOTION_DATA_SOURCE_ID; the
 * example's `main.ts` points it at local fakes instead.
 */
import { defineConfig } from 'keepsync';
import * as github from 'keepsync/connectors/github';
import * as notion from 'keepsync/connectors/notion';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`Set ${name}`);
  return value;
};

export default defineConfig({
  store: { sqlite: env('KEEPSYNC_STATE', '.keepsync/keepsync.db') },
  pipelines: [
    {
      name: 'org-repos',
      source: github.source({
        orgs: [env('GITHUB_ORG', 'acme')],
        auth: { token: env('GITHUB_TOKEN') },
        baseUrl: env('GITHUB_API_URL', 'https://api.github.com'),
      }),
      destination: notion.destination({
        dataSourceId: env('NOTION_DATA_SOURCE_ID'),
        auth: { token: env('NOTION_TOKEN') },
        baseUrl: env('NOTION_API_URL', 'https://api.notion.com'),
        keyProperty: 'Repo ID',
        properties: {
          Name: { type: 'title', field: 'name' },
          Description: { type: 'rich_text', field: 'description' },
          Stars: { type: 'number', field: 'stars' },
          Language: { type: 'select', field: 'language' },
          Topics: { type: 'multi_select', field: 'topics' },
          Archived: { type: 'checkbox', field: 'archived' },
          Pushed: { type: 'date', field: 'pushedAt' },
          URL: { type: 'url', field: 'url' },
        },
        // The fakes add missing columns too; on a real database this creates them once.
        createMissingProperties: true,
      }),
      schedule: { everyMs: 30 * 60_000 },
    },
  ],
});
