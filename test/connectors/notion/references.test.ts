import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as notion from '../../../src/connectors/notion/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import { FakeNotion, NOTION_VERSION } from '../../fakes/index.js';
import { freshToken } from './helpers.js';

/** A page object holds at most 25 references per value; the rest is paged per property. */
describe('notion source: relation values past the 25 a page object holds', () => {
  let fake: FakeNotion;
  let token: string;
  let dataSourceId: string;

  beforeEach(async () => {
    token = freshToken();
    fake = await new FakeNotion({ tokens: [token] }).start();
    ({ dataSourceId } = fake.createDatabase('Tasks', {
      Name: { type: 'title' },
      Related: { type: 'relation', data_source_id: 'self' },
      Owners: { type: 'people' },
      Notes: { type: 'rich_text' },
    }));
  });
  afterEach(async () => {
    await fake.close();
  });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'notion-version': NOTION_VERSION,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { id: string; properties: Record<string, unknown> };
  }

  async function createPage(name: string, related: readonly string[] = []): Promise<string> {
    const page = await call('POST', '/v1/pages', {
      parent: { type: 'data_source_id', data_source_id: dataSourceId },
      properties: {
        Name: { title: [{ text: { content: name } }] },
        Related: { relation: related.map((id) => ({ id })) },
      },
    });
    return page.id;
  }

  async function readAll(source: ReturnType<typeof notion.source>): Promise<SyncRecord[]> {
    const records: SyncRecord[] = [];
    const telemetry = { retried() {}, waitedForRateLimit() {} };
    for await (const page of source.read(`ds:${dataSourceId}`, { cursor: null, telemetry }))
      records.push(...page.records);
    return records;
  }

  it('the fake cuts a value at 25 references with has_more, as Notion documents', async () => {
    const targets = [];
    for (let index = 0; index < 30; index++) targets.push(await createPage(`Target ${index}`));
    const hub = await createPage('Hub', targets);
    const page = await call('GET', `/v1/pages/${hub}`);
    const related = page.properties.Related as { relation: unknown[]; has_more: boolean };
    expect(related.relation).toHaveLength(25);
    expect(related.has_more).toBe(true);
  });

  it('reads every relation of a value cut at 25 through "retrieve a page property item"', async () => {
    const targets = [];
    for (let index = 0; index < 65; index++) targets.push(await createPage(`Target ${index}`));
    const many = await createPage('Many', targets);
    const more = await createPage('More', [...targets].reverse());
    const few = await createPage('Few', targets.slice(0, 3));
    fake.server.resetCounts();
    const source = notion.source({
      dataSourceIds: [dataSourceId],
      auth: { token },
      baseUrl: fake.url,
      requestsPerSecond: 100,
    });
    const records = await readAll(source);
    const byKey = new Map(records.map((record) => [record.key, record]));
    expect(byKey.get(many)!.fields.Related).toEqual(targets);
    expect(byKey.get(more)!.fields.Related).toEqual([...targets].reverse());
    expect(byKey.get(few)!.fields.Related).toEqual(targets.slice(0, 3));
    // Only the two cut values are paged, one request each (65 references fit one page of 100).
    const paged = fake.server.requests.filter((seen) => seen.path.includes('/properties/'));
    expect(paged.map((seen) => seen.path.split('/')[3]).sort()).toEqual([many, more].sort());
  });

  it('pages through more than 100 references in pages of 100', async () => {
    const targets = [];
    for (let index = 0; index < 100; index++) targets.push(await createPage(`Target ${index}`));
    const hub = await createPage('Hub', targets);
    // Notion takes at most 100 relations per write: the rest goes in a second update.
    const extra = [];
    for (let index = 0; index < 30; index++) extra.push(await createPage(`Extra ${index}`));
    fake.pages.get(hub)!.properties.Related = {
      ...fake.pages.get(hub)!.properties.Related,
      relation: [...targets, ...extra].map((id) => ({ id })),
    };
    const source = notion.source({
      dataSourceIds: [dataSourceId],
      auth: { token },
      baseUrl: fake.url,
      requestsPerSecond: 100,
    });
    const records = await readAll(source);
    expect(records.find((record) => record.key === hub)!.fields.Related).toEqual([
      ...targets,
      ...extra,
    ]);
  });

  /** What a person sets in Notion's UI: people and page mentions (values the connector never writes). */
  function plant(pageId: string, name: string, value: unknown[]): void {
    const stored = fake.pages.get(pageId)!.properties[name]!;
    fake.pages.get(pageId)!.properties[name] = { ...stored, [stored.type as string]: value };
  }

  const mention = (id: string, title: string) => ({
    type: 'mention',
    mention: { type: 'page', page: { id } },
    annotations: {
      bold: false,
      italic: false,
      strikethrough: false,
      underline: false,
      code: false,
      color: 'default',
    },
    plain_text: title,
    href: `https://www.notion.so/${id.replaceAll('-', '')}`,
  });

  it('reads every person of a people value past the 25 a page object holds (no has_more on people)', async () => {
    const team = await createPage('Team');
    const few = await createPage('Few');
    const people = Array.from({ length: 40 }, (_, index) => ({
      object: 'user',
      id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    }));
    plant(team, 'Owners', people);
    plant(few, 'Owners', people.slice(0, 3));
    const page = await call('GET', `/v1/pages/${team}`);
    expect((page.properties.Owners as { people: unknown[] }).people).toHaveLength(25);
    const source = notion.source({
      dataSourceIds: [dataSourceId],
      auth: { token },
      baseUrl: fake.url,
      requestsPerSecond: 100,
    });
    fake.server.resetCounts();
    const records = await readAll(source);
    const byKey = new Map(records.map((record) => [record.key, record]));
    expect(byKey.get(team)!.fields.Owners).toEqual(people.map((person) => person.id));
    expect(byKey.get(few)!.fields.Owners).toEqual(people.slice(0, 3).map((person) => person.id));
    const paged = fake.server.requests.filter((seen) => seen.path.includes('/properties/'));
    expect(paged.map((seen) => seen.path.split('/')[3])).toEqual([team]);
  });

  const PLAIN_TEXT = {
    type: 'text',
    text: { content: ' ', link: null },
    annotations: mention('', '').annotations,
    plain_text: ' ',
    href: null,
  };

  it('reads a rich text with more than 25 page mentions in full, in pages of 100 parts', async () => {
    const targets = [];
    for (let index = 0; index < 30; index++) targets.push(await createPage(`Target ${index}`));
    const notes = await createPage('Notes');
    const parts: unknown[] = [];
    for (let round = 0; round < 4; round++) {
      for (const [index, target] of targets.entries()) {
        parts.push(mention(target, `T${index}`), { ...PLAIN_TEXT });
      }
    }
    plant(notes, 'Notes', parts);
    const page = await call('GET', `/v1/pages/${notes}`);
    const shown = (page.properties.Notes as { rich_text: Array<{ type: string }> }).rich_text;
    expect(shown.filter((part) => part.type === 'mention')).toHaveLength(25);
    const source = notion.source({
      dataSourceIds: [dataSourceId],
      auth: { token },
      baseUrl: fake.url,
      requestsPerSecond: 100,
    });
    const records = await readAll(source);
    const expected = parts.map((part) => (part as { plain_text: string }).plain_text).join('');
    expect(records.find((record) => record.key === notes)!.fields.Notes).toBe(expected);
  });
});
