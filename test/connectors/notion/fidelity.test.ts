import { Client } from '@notionhq/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as notion from '../../../src/connectors/notion/index.js';
import type { Cursor, SyncRecord } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/index.js';
import { runPipeline } from '../../../src/sync/index.js';
import { FakeNotion } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';
import { freshToken, notionPipeline, REPO_MAPPING, repoRecords, startNotion } from './helpers.js';

const QUERIES = { method: 'POST', path: /\/query$/ };

/** Plain text of a stored block. */
function blockText(block: Record<string, unknown>): string {
  const content = block[block.type as string] as {
    rich_text: Array<{ text: { content: string } }>;
  };
  return content.rich_text.map((part) => part.text.content).join('');
}

describe('notion destination against the documented limits and trash rules', () => {
  let fake: FakeNotion;
  let dataSourceId: string;
  let token: string;
  let store: Store;

  beforeEach(async () => {
    token = freshToken();
    ({ fake, dataSourceId } = await startNotion(token));
    store = memoryStore();
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const destinationOptions = (
    extra: Partial<notion.NotionDestinationOptions> = {},
  ): notion.NotionDestinationOptions => ({
    dataSourceId,
    auth: { token },
    baseUrl: fake.url,
    properties: REPO_MAPPING,
    keyProperty: 'Repo ID',
    requestsPerSecond: 500,
    concurrency: 4,
    retries: 2,
    ...extra,
  });

  const pageOf = (key: string) =>
    fake
      .pagesOf(dataSourceId)
      .filter((page) => FakeNotion.plain(page.properties['Repo ID']) === key);

  it('restores a page a person moved to the trash and writes the change, instead of dead-lettering it on every run', async () => {
    const records = repoRecords(3);
    const pipeline = notionPipeline({ records: () => records, destination: destinationOptions() });
    await runPipeline({ store, pipeline, unit: 'all' });
    const [trashed] = pageOf(records[1]!.key);
    fake.trash(trashed!.id);
    records[1] = { ...records[1]!, fields: { ...records[1]!.fields, stars: 999 } };
    const result = await runPipeline({ store, pipeline, unit: 'all' });
    expect(result.stats.failed).toBe(0);
    expect(await store.listDeadLetters({ pipeline: 'repos' })).toHaveLength(0);
    expect(fake.pages.get(trashed!.id)!.in_trash).toBe(false);
    expect(FakeNotion.plain(fake.pages.get(trashed!.id)!.properties.Stars)).toBe(999);
  });

  it("leaves a trashed page in the trash under trashedPages: 'leave', without a dead letter", async () => {
    const records = repoRecords(2);
    const pipeline = notionPipeline({
      records: () => records,
      destination: destinationOptions({ trashedPages: 'leave' }),
    });
    await runPipeline({ store, pipeline, unit: 'all' });
    const [trashed] = pageOf(records[0]!.key);
    fake.trash(trashed!.id);
    records[0] = { ...records[0]!, fields: { ...records[0]!.fields, stars: 999 } };
    const result = await runPipeline({ store, pipeline, unit: 'all' });
    expect(result.stats.failed).toBe(0);
    expect(fake.pages.get(trashed!.id)!.in_trash).toBe(true);
  });

  it('writes a paragraph longer than 100 rich text parts and a body over 500 KB in requests Notion accepts', async () => {
    // 260,000 characters: 130 parts of 2,000, over the 100 parts one block may hold.
    const paragraph = 'p'.repeat(260_000);
    // 90 blocks of 6,000 characters each: under 100 blocks, over 500 KB in one request.
    const heavy = Array.from({ length: 90 }, (_, index) => `${index}${'h'.repeat(6_000)}`);
    const records = repoRecords(2);
    records[0] = { ...records[0]!, body: paragraph };
    records[1] = { ...records[1]!, body: heavy.join('\n\n') };
    const result = await runPipeline({
      store,
      pipeline: notionPipeline({ records: () => records, destination: destinationOptions() }),
      unit: 'all',
    });
    expect(result.stats.failed).toBe(0);
    expect(await store.listDeadLetters({ pipeline: 'repos' })).toEqual([]);
    const [long] = pageOf(records[0]!.key);
    expect(long!.children.map(blockText).join('')).toBe(paragraph);
    const [big] = pageOf(records[1]!.key);
    expect(big!.children.map(blockText)).toEqual(heavy);
  });

  it('does not report a page whose body was cut short by a failed append; the next run writes it whole, once', async () => {
    const body = Array.from({ length: 150 }, (_, index) => `- item ${index}`).join('\n');
    const records = [{ ...repoRecords(1)[0]!, body }];
    const pipeline = notionPipeline({
      records: () => records,
      destination: destinationOptions(),
      writeRetries: 1,
    });
    fake.server.inject({ kind: 'status', status: 503, times: 1_000, path: /\/children$/ });
    const first = await runPipeline({ store, pipeline, unit: 'all' });
    expect(first.status).toBe('failed');
    expect(first.stats.created).toBe(0);
    expect(first.error).toMatch(/503/);
    fake.server.clearFaults();
    const second = await runPipeline({ store, pipeline, unit: 'all' });
    expect(second.status).toBe('succeeded');
    const pages = pageOf(records[0]!.key);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.children).toHaveLength(150);
  });

  it('refuses a URL over 2,000 characters and more than 100 options before writing, naming the record and field', async () => {
    const records = repoRecords(3);
    records[0] = {
      ...records[0]!,
      fields: { ...records[0]!.fields, url: `https://example.com/${'u'.repeat(2_000)}` },
    };
    records[1] = {
      ...records[1]!,
      fields: { ...records[1]!.fields, topics: Array.from({ length: 101 }, (_, i) => `t${i}`) },
    };
    fake.server.resetCounts();
    const result = await runPipeline({
      store,
      pipeline: notionPipeline({ records: () => records, destination: destinationOptions() }),
      unit: 'all',
    });
    expect(result.stats.created).toBe(1);
    expect(fake.server.count({ status: 400 })).toBe(0);
    const letters = await store.listDeadLetters({ pipeline: 'repos' });
    const byKey = new Map(letters.map((letter) => [letter.key, letter.error]));
    expect(byKey.get(records[0]!.key)).toMatch(
      /record 5000: field `url` .*URL.*at most 2000 characters/,
    );
    expect(byKey.get(records[1]!.key)).toMatch(/record 5001: field `topics` .*at most 100/);
  });

  it('retries a 409 conflict_error without looking for the page first: nothing was applied', async () => {
    const records = repoRecords(3);
    fake.server.inject({ kind: 'status', status: 409, method: 'POST', path: /^\/v1\/pages$/ });
    fake.server.resetCounts();
    const result = await runPipeline({
      store,
      pipeline: notionPipeline({ records: () => records, destination: destinationOptions() }),
      unit: 'all',
    });
    expect(result.status).toBe('succeeded');
    expect(fake.pagesOf(dataSourceId)).toHaveLength(3);
    // One lookup of the batch's keys; a recovery search would query again and again.
    expect(fake.server.count(QUERIES)).toBe(1);
  });

  it('fails a run on 529 service_overload with a readable error and no dead letters', async () => {
    const records = repoRecords(2);
    fake.server.inject({
      kind: 'status',
      status: 529,
      times: 1_000,
      method: 'POST',
      path: /^\/v1\/pages$/,
    });
    const result = await runPipeline({
      store,
      pipeline: notionPipeline({
        records: () => records,
        destination: destinationOptions(),
        writeRetries: 1,
      }),
      unit: 'all',
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/529 service_overload/);
    expect(await store.listDeadLetters({ pipeline: 'repos' })).toEqual([]);
  });

  it('sends the Notion-Version it was written for (2025-09-03), whatever the installed SDK defaults to', async () => {
    const sdkDefault = (Client as unknown as { defaultNotionVersion: string }).defaultNotionVersion;
    (Client as unknown as { defaultNotionVersion: string }).defaultNotionVersion = '2022-06-28';
    try {
      const result = await runPipeline({
        store,
        pipeline: notionPipeline({
          records: () => repoRecords(2),
          destination: destinationOptions(),
        }),
        unit: 'all',
      });
      expect(result.error).toBeNull();
      expect(result.stats.created).toBe(2);
    } finally {
      (Client as unknown as { defaultNotionVersion: string }).defaultNotionVersion = sdkDefault;
    }
  });
});

describe('notion source and the trash', () => {
  let fake: FakeNotion;
  let token: string;
  let dataSourceId: string;

  beforeEach(async () => {
    token = freshToken();
    ({ fake, dataSourceId } = await startNotion(token));
  });
  afterEach(async () => {
    await fake.close();
  });

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

  it('reads a page a person moved to the trash as a deletion on the next incremental run', async () => {
    const store = memoryStore();
    try {
      await runPipeline({
        store,
        pipeline: notionPipeline({
          records: () => repoRecords(5),
          destination: {
            dataSourceId,
            auth: { token },
            baseUrl: fake.url,
            properties: REPO_MAPPING,
            keyProperty: 'Repo ID',
            requestsPerSecond: 500,
          },
        }),
        unit: 'all',
      });
    } finally {
      await store.close();
    }
    const source = notion.source({
      dataSourceIds: [dataSourceId],
      auth: { token },
      baseUrl: fake.url,
      keyProperty: 'Repo ID',
      requestsPerSecond: 500,
    });
    const first = await readAll(source, null);
    expect(first.records).toHaveLength(5);
    const victim = fake.pagesOf(dataSourceId)[2]!;
    fake.trash(victim.id);
    const next = await readAll(source, first.cursor);
    const gone = next.records.filter((record) => record.deleted);
    expect(gone.map((record) => record.key)).toEqual([
      FakeNotion.plain(victim.properties['Repo ID']),
    ]);
  });
});
