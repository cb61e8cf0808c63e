import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as notion from '../../../src/connectors/notion/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import { FakeNotion, NOTION_VERSION } from '../../fakes/index.js';
import { freshToken } from './helpers.js';

describe('notion source given a database id', () => {
  let fake: FakeNotion;
  let token: string;
  let ids: { databaseId: string; dataSourceId: string };

  beforeEach(async () => {
    token = freshToken();
    fake = await new FakeNotion({ tokens: [token] }).start();
    ids = fake.createDatabase('Tasks', { Name: { type: 'title' } });
    for (const name of ['one', 'two']) {
      const response = await fetch(`${fake.url}/v1/pages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'notion-version': NOTION_VERSION,
        },
        body: JSON.stringify({
          parent: { type: 'data_source_id', data_source_id: ids.dataSourceId },
          properties: { Name: { title: [{ text: { content: name } }] } },
        }),
      });
      expect(response.status).toBe(200);
    }
  });
  afterEach(async () => {
    await fake.close();
  });

  const sourceFor = (databaseIds: string[]) =>
    notion.source({ databaseIds, auth: { token }, baseUrl: fake.url, requestsPerSecond: 500 });

  async function read(source: ReturnType<typeof notion.source>, unit: string) {
    const records: SyncRecord[] = [];
    const telemetry = { retried() {}, waitedForRateLimit() {} };
    for await (const page of source.read(unit, { cursor: null, telemetry })) {
      records.push(...page.records);
    }
    return records;
  }

  it('resolves the database to its data source, as the destination does', async () => {
    const source = sourceFor([ids.databaseId]);
    expect(await source.units()).toEqual([{ id: `db:${ids.databaseId}` }]);
    const records = await read(source, `db:${ids.databaseId}`);
    expect(records.map((record) => record.fields.Name).sort()).toEqual(['one', 'two']);
    expect(fake.server.count({ path: new RegExp(`/v1/databases/${ids.databaseId}$`) })).toBe(1);
  });

  it('names a database the integration cannot see', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    await expect(read(sourceFor([missing]), `db:${missing}`)).rejects.toThrow(
      /Could not find object with ID/,
    );
  });

  it('refuses a source with neither data source nor database ids', () => {
    expect(() => notion.source({ auth: { token } })).toThrow(/dataSourceIds` or `databaseIds/);
  });
});
