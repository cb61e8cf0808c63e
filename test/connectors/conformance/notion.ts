import * as notion from '../../../src/connectors/notion/index.js';
import type { Destination } from '../../../src/sync/index.js';
import { FakeNotion } from '../../fakes/index.js';
import type { DestinationHarness, SourceHarness, StoredObject } from './harness.js';

const KEY = 'keepsync key';
let tokens = 0;

function freshToken(): string {
  return `secret_conformance_${process.pid}_${++tokens}`;
}

async function call(url: string, token: string, method: string, path: string, body: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'notion-version': '2025-09-03',
    },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string };
}

export const notionSource: SourceHarness = {
  connector: 'notion',
  mode: 'incremental',
  gaps: {
    deletes:
      'a data source query never returns trashed pages, so the source sees no tombstone; confirming a missing page (confirmMissing, issue 13) is not in the source contract yet',
  },
  async start() {
    const token = freshToken();
    const fake = await new FakeNotion({ tokens: [token] }).start();
    const { dataSourceId } = fake.createDatabase('Items', {
      Name: { type: 'title' },
      N: { type: 'number' },
    });
    // Notion keeps edit times to the minute: seeded pages get a minute each, edits come later.
    let now = Date.UTC(2026, 0, 1);
    fake.setClock(() => now);
    return {
      server: fake.server,
      unit: `ds:${dataSourceId}`,
      listPath: /\/query$/,
      readOnlyPosts: [/\/query$/],
      source: () =>
        notion.source({
          dataSourceIds: [dataSourceId],
          auth: { token },
          baseUrl: fake.url,
          pageSize: 25,
          requestsPerSecond: 500,
        }),
      async seed(count) {
        const keys: string[] = [];
        for (let index = 0; index < count; index++) {
          now += 60_000;
          const page = await call(fake.url, token, 'POST', '/v1/pages', {
            parent: { type: 'data_source_id', data_source_id: dataSourceId },
            properties: {
              Name: { title: [{ text: { content: `Item ${index}` } }] },
              N: { number: index },
            },
          });
          keys.push(page.id);
        }
        fake.server.resetCounts();
        return keys;
      },
      async change(key) {
        now += 3_600_000;
        await call(fake.url, token, 'PATCH', `/v1/pages/${key}`, {
          properties: { N: { number: 1_000_000 } },
        });
      },
      async remove(key) {
        await call(fake.url, token, 'PATCH', `/v1/pages/${key}`, { in_trash: true });
      },
      revoke: () => fake.revokeToken(token),
      close: () => fake.close(),
    };
  },
};

function notionDestination(url: string, token: string, dataSourceId: string, rps: number) {
  return notion.destination({
    dataSourceId,
    auth: { token },
    baseUrl: url,
    properties: { Name: { type: 'title', field: 'title' }, N: { type: 'number', field: 'n' } },
    requestsPerSecond: rps,
    concurrency: 4,
  });
}

/** For the SIGKILL worker: `[url, token, dataSourceId]`. */
export function workerDestination([url, token, dataSourceId]: readonly string[]): Destination {
  return notionDestination(url!, token!, dataSourceId!, 120);
}

export const notionDestinationHarness: DestinationHarness = {
  connector: 'notion',
  gaps: {},
  workerModule: new URL('./notion.ts', import.meta.url).pathname,
  async start() {
    const token = freshToken();
    const fake = await new FakeNotion({ tokens: [token] }).start();
    const { dataSourceId } = fake.createDatabase('Items', {
      Name: { type: 'title' },
      N: { type: 'number' },
      [KEY]: { type: 'rich_text' },
    });
    return {
      server: fake.server,
      workerArgs: [fake.url, token, dataSourceId],
      destination: () => notionDestination(fake.url, token, dataSourceId, 500),
      async objects() {
        const found = new Map<string, StoredObject[]>();
        for (const page of fake.pages.values()) {
          if (page.parent.data_source_id !== dataSourceId) continue;
          const key = FakeNotion.plain(page.properties[KEY]) as string;
          const held = found.get(key) ?? [];
          held.push({
            title: FakeNotion.plain(page.properties.Name) as string,
            archived: page.in_trash || page.archived,
          });
          found.set(key, held);
        }
        return found;
      },
      revoke: () => fake.revokeToken(token),
      createPath: { method: 'POST', path: /^\/v1\/pages$/ },
      readOnlyPosts: [/\/query$/],
      deletes: 'archive',
      close: () => fake.close(),
    };
  },
};
