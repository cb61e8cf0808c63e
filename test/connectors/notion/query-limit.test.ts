import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as notion from '../../../src/connectors/notion/index.js';
import type { Cursor, SyncRecord } from '../../../src/model/index.js';
import { FakeNotion } from '../../fakes/index.js';
import { freshToken } from './helpers.js';

const telemetry = { retried() {}, waitedForRateLimit() {} };
const MINUTE = 60_000;

describe("notion source past the per-query result limit (scaled down from Notion's 10,000 to 50)", () => {
  let fake: FakeNotion;
  let token: string;
  let dataSourceId: string;
  let now = Date.UTC(2026, 5, 1);

  beforeEach(async () => {
    token = freshToken();
    fake = await new FakeNotion({ tokens: [token], queryResultLimit: 50 }).start();
    now = Date.UTC(2026, 5, 1);
    fake.setClock(() => now);
    ({ dataSourceId } = fake.createDatabase('Tasks', {
      Name: { type: 'title' },
      Points: { type: 'number' },
    }));
  });
  afterEach(async () => {
    await fake.close();
  });

  async function call(method: string, path: string, body: unknown): Promise<{ id: string }> {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'notion-version': '2025-09-03',
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { id: string };
  }

  const createPage = (name: string) =>
    call('POST', '/v1/pages', {
      parent: { type: 'data_source_id', data_source_id: dataSourceId },
      properties: { Name: { title: [{ text: { content: name } }] }, Points: { number: 0 } },
    });

  async function readAll(cursor: Cursor) {
    const source = notion.source({
      dataSourceIds: [dataSourceId],
      auth: { token },
      baseUrl: fake.url,
      requestsPerSecond: 1000,
    });
    const records: SyncRecord[] = [];
    let last = cursor;
    for await (const page of source.read(`ds:${dataSourceId}`, { cursor, telemetry })) {
      records.push(...page.records);
      last = page.cursor;
    }
    return { keys: new Set(records.map((record) => record.key)), cursor: last };
  }

  it('reads every page of a first read, though more than the limit share one edit minute', async () => {
    const edited: string[] = [];
    for (let index = 0; index < 70; index++) {
      now = Date.UTC(2026, 5, 1) + Math.floor(index / 10) * MINUTE;
      edited.push((await createPage(`old ${index}`)).id);
    }
    // All 70 edited in one minute: one query by edit time cannot get past its first 50.
    now = Date.UTC(2026, 5, 1) + 10 * MINUTE;
    for (const id of edited)
      await call('PATCH', `/v1/pages/${id}`, { properties: { Points: { number: 1 } } });
    now = Date.UTC(2026, 5, 1) + 20 * MINUTE;
    for (let index = 0; index < 30; index++) await createPage(`new ${index}`);

    const first = await readAll(null);
    expect(first.keys.size).toBe(100);
    expect(first.cursor).toMatchObject({ since: new Date(now).toISOString() });

    // The next read starts at the last minute and is not stuck there.
    now += 5 * MINUTE;
    const later = (await createPage('later')).id;
    const next = await readAll(first.cursor);
    expect(next.keys.has(later)).toBe(true);
  });

  it('fails loud, naming the data source, when more pages than the limit share both minutes', async () => {
    for (let index = 0; index < 60; index++) await createPage(`same ${index}`);
    await expect(readAll(null)).rejects.toMatchObject({
      message: expect.stringContaining(
        `Notion data source ${dataSourceId}: more pages than one query can return`,
      ),
    });
  });
});
