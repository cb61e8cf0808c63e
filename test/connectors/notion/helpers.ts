import { test } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import * as notion from '../../../src/connectors/notion/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, type PipelineOptions } from '../../../src/sync/index.js';
import { FakeNotion } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

let tokenCount = 0;

/** A fresh token per test, so each gets its own shared limiter. */
export function freshToken(): string {
  return `secret_test_${process.pid}_${++tokenCount}_${Date.now()}`;
}

export const REPO_PROPERTIES = {
  Name: { type: 'title' },
  Stars: { type: 'number' },
  Archived: { type: 'checkbox' },
  Language: { type: 'select' },
  Topics: { type: 'multi_select' },
  Pushed: { type: 'date' },
  URL: { type: 'url' },
  Description: { type: 'rich_text' },
  'Repo ID': { type: 'rich_text' },
} as const;

export const REPO_MAPPING: Record<string, notion.NotionPropertySpec> = {
  Name: { type: 'title', field: 'name' },
  Stars: { type: 'number', field: 'stars' },
  Archived: { type: 'checkbox', field: 'archived' },
  Language: { type: 'select', field: 'language' },
  Topics: { type: 'multi_select', field: 'topics' },
  Pushed: { type: 'date', field: 'pushedAt' },
  URL: { type: 'url', field: 'url' },
  Description: { type: 'rich_text', field: 'description' },
};

export function repoRecords(count: number, version = 1): SyncRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    key: String(5000 + index),
    fields: {
      name: `repo-${index}`,
      stars: index * version,
      archived: index % 4 === 0,
      language: ['TypeScript', 'Go'][index % 2]!,
      topics: ['sync', `t${index % 3}`],
      pushedAt: new Date(Date.UTC(2026, 0, 1, 0, index)),
      url: `https://github.com/acme/repo-${index}`,
      description: `Repository ${index}`,
    },
  }));
}

export async function startNotion(
  token: string,
): Promise<{ fake: FakeNotion; dataSourceId: string }> {
  const fake = await new FakeNotion({
    tokens: [token],
    oauthClient: { clientId: 'client-1', clientSecret: 'shh' },
  }).start();
  const { dataSourceId } = fake.createDatabase('Repositories', { ...REPO_PROPERTIES });
  return { fake, dataSourceId };
}

export function notionPipeline(
  options: {
    records: () => readonly SyncRecord[];
    destination: notion.NotionDestinationOptions;
  } & Omit<Partial<PipelineOptions>, 'destination' | 'source'>,
) {
  const { records, destination, ...rest } = options;
  return definePipeline({
    name: 'repos',
    source: memory.source({ units: { all: records }, pageSize: 25 }),
    destination: notion.destination(destination),
    retryMinDelayMs: 10,
    ...rest,
  });
}

/** What a test against the Notion fake gets: a fake with the repositories database, a store. */
export interface NotionFixture {
  token: string;
  fake: FakeNotion;
  dataSourceId: string;
  store: Store;
  /** Options for the destination on that data source, keyed by 'Repo ID'. */
  destinationOptions: (
    extra?: Partial<notion.NotionDestinationOptions>,
  ) => notion.NotionDestinationOptions;
}

/**
 * A `test` whose fixtures start the Notion fake (a fresh token each) and a memory store, and
 * close both after the test; `defaults` go into every `destinationOptions()`.
 */
export function notionTest(defaults: Partial<notion.NotionDestinationOptions> = {}) {
  return test.extend<NotionFixture & { workspace: { fake: FakeNotion; dataSourceId: string } }>({
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from it
    token: async ({}, use) => use(freshToken()),
    workspace: async ({ token }, use) => {
      const workspace = await startNotion(token);
      await use(workspace);
      await workspace.fake.close();
    },
    fake: async ({ workspace }, use) => use(workspace.fake),
    dataSourceId: async ({ workspace }, use) => use(workspace.dataSourceId),
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from it
    store: async ({}, use) => {
      const store = memoryStore();
      await use(store);
      await store.close();
    },
    destinationOptions: async ({ fake, dataSourceId, token }, use) =>
      use((extra = {}) => ({
        dataSourceId,
        auth: { token },
        baseUrl: fake.url,
        properties: REPO_MAPPING,
        keyProperty: 'Repo ID',
        requestsPerSecond: 500,
        concurrency: 4,
        ...defaults,
        ...extra,
      })),
  });
}
