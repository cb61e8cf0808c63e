import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as notion from '../../../src/connectors/notion/index.js';
import type { Cursor, SyncRecord } from '../../../src/model/index.js';
import { FakeNotion, NOTION_VERSION } from '../../fakes/index.js';
import { freshToken } from './helpers.js';

describe('notion source', () => {
  let fake: FakeNotion;
  let token: string;
  let dataSourceId: string;
  let now = Date.UTC(2026, 5, 1);

  beforeEach(async () => {
    token = freshToken();
    fake = await new FakeNotion({ tokens: [token] }).start();
    fake.setClock(() => now);
    ({ dataSourceId } = fake.createDatabase('Tasks', {
      Name: { type: 'title' },
      Points: { type: 'number' },
      Tags: { type: 'multi_select' },
      Due: { type: 'date' },
    }));
  });
  afterEach(async () => {
    await fake.close();
  });

  async function createPages(count: number, prefix: string): Promise<void> {
    for (let index = 0; index < count; index++) {
      const response = await fetch(`${fake.url}/v1/pages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'notion-version': NOTION_VERSION,
        },
        body: JSON.stringify({
          parent: { type: 'data_source_id', data_source_id: dataSourceId },
          properties: {
            Name: { title: [{ text: { content: `${prefix} ${index}` } }] },
            Points: { number: index },
            Tags: { multi_select: [{ name: 'a' }] },
            Due: { date: { start: '2026-07-01' } },
          },
        }),
      });
      expect(response.status).toBe(200);
    }
  }

  async function readAll(source: ReturnType<typeof notion.source>, cursor: Cursor) {
    const records: SyncRecord[] = [];
    let last = cursor;
    const telemetry = { retried() {}, waitedForRateLimit() {} };
    for await (const page of source.read(`ds:${dataSourceId}`, { cursor, telemetry })) {
      records.push(...page.records);
      last = page.cursor;
    }
    return { records, cursor: last };
  }

  it('pages through a data source, then reads from the minute of the last edit it saw', async () => {
    await createPages(230, 'first');
    const source = notion.source({
      dataSourceIds: [dataSourceId],
      auth: { token },
      baseUrl: fake.url,
      requestsPerSecond: 500,
    });
    fake.server.resetCounts();
    const all = await readAll(source, null);
    expect(all.records).toHaveLength(230);
    // Three pages of live rows, then one query of the trash.
    expect(fake.server.count({ path: /\/query$/ })).toBe(4);
    const sample = all.records.find((record) => record.fields.Name === 'first 7')!;
    expect(sample.fields).toMatchObject({ Points: 7, Tags: ['a'], Due: '2026-07-01' });
    expect(sample.key).toMatch(/^[0-9a-f-]{36}$/);

    now += 5 * 60_000;
    await createPages(3, 'later');
    const later = await readAll(source, all.cursor);
    // Notion keeps edit times to the minute: the cursor's own minute is read again.
    expect(later.records).toHaveLength(233);
    expect(later.cursor).toMatchObject({ since: new Date(now - (now % 60_000)).toISOString() });
    now += 5 * 60_000;
    const idle = await readAll(source, later.cursor);
    expect(idle.records.map((record) => record.fields.Name).sort()).toEqual([
      'later 0',
      'later 1',
      'later 2',
    ]);
  });

  it('confirms a missing page only when it is gone: 404, in the trash, or moved away', async () => {
    await createPages(3, 'page');
    const [kept, trashed] = [...fake.pages.values()];
    trashed!.in_trash = true;
    const source = notion.source({
      dataSourceIds: [dataSourceId],
      auth: { token },
      baseUrl: fake.url,
      requestsPerSecond: 500,
    });
    const telemetry = { retried() {}, waitedForRateLimit() {} };
    const missingId = '00000000-0000-4000-8000-000000000000';
    const check = await source.confirmMissing!(
      `ds:${dataSourceId}`,
      [kept!.id, trashed!.id, missingId],
      { telemetry },
    );
    expect(check.found.map((record) => record.key)).toEqual([kept!.id]);
    expect(check.gone).toEqual([trashed!.id, missingId]);
  });
});
