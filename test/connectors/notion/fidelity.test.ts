import { Client } from '@notionhq/client';
import { describe, expect } from 'vitest';
import * as notion from '../../../src/connectors/notion/index.js';
import type { Cursor, SyncRecord } from '../../../src/model/index.js';
import { runPipeline } from '../../../src/sync/index.js';
import { FakeNotion } from '../../fakes/index.js';
import { notionPipeline, notionTest, REPO_MAPPING, repoRecords } from './helpers.js';

const QUERIES = { method: 'POST', path: /\/query$/ };

/** Plain text of a stored block. */
function blockText(block: Record<string, unknown>): string {
  const content = block[block.type as string] as {
    rich_text: Array<{ text: { content: string } }>;
  };
  return content.rich_text.map((part) => part.text.content).join('');
}

describe('notion destination against the documented limits and trash rules', () => {
  const withNotion = notionTest({ retries: 2 });

  const pageOf = (fake: FakeNotion, dataSourceId: string, key: string) =>
    fake
      .pagesOf(dataSourceId)
      .filter((page) => FakeNotion.plain(page.properties['Repo ID']) === key);

  withNotion(
    'restores a page a person moved to the trash and writes the change, instead of dead-lettering it on every run',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      const records = repoRecords(3);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions(),
      });
      await runPipeline({ store, pipeline, unit: 'all' });
      const [trashed] = pageOf(fake, dataSourceId, records[1]!.key);
      fake.trash(trashed!.id);
      records[1] = { ...records[1]!, fields: { ...records[1]!.fields, stars: 999 } };
      const result = await runPipeline({ store, pipeline, unit: 'all' });
      expect(result.stats.failed).toBe(0);
      expect(await store.listDeadLetters({ pipeline: 'repos' })).toHaveLength(0);
      expect(fake.pages.get(trashed!.id)!.in_trash).toBe(false);
      expect(FakeNotion.plain(fake.pages.get(trashed!.id)!.properties.Stars)).toBe(999);
    },
  );

  withNotion(
    "leaves a trashed page in the trash under trashedPages: 'leave', without a dead letter",
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      const records = repoRecords(2);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions({ trashedPages: 'leave' }),
      });
      await runPipeline({ store, pipeline, unit: 'all' });
      const [trashed] = pageOf(fake, dataSourceId, records[0]!.key);
      fake.trash(trashed!.id);
      records[0] = { ...records[0]!, fields: { ...records[0]!.fields, stars: 999 } };
      const result = await runPipeline({ store, pipeline, unit: 'all' });
      expect(result.stats.failed).toBe(0);
      expect(fake.pages.get(trashed!.id)!.in_trash).toBe(true);
    },
  );

  withNotion(
    'writes a paragraph longer than 100 rich text parts and a body over 500 KB in requests Notion accepts',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
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
      const [long] = pageOf(fake, dataSourceId, records[0]!.key);
      expect(long!.children.map(blockText).join('')).toBe(paragraph);
      const [big] = pageOf(fake, dataSourceId, records[1]!.key);
      expect(big!.children.map(blockText)).toEqual(heavy);
    },
  );

  withNotion(
    'does not report a page whose body was cut short by a failed append; the next run writes it whole, once',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
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
      const pages = pageOf(fake, dataSourceId, records[0]!.key);
      expect(pages).toHaveLength(1);
      expect(pages[0]!.children).toHaveLength(150);
    },
  );

  withNotion(
    'refuses a URL over 2,000 characters and more than 100 options before writing, naming the record and field',
    async ({ fake, store, destinationOptions }) => {
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
    },
  );

  withNotion(
    'retries a 409 conflict_error without looking for the page first: nothing was applied',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
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
    },
  );

  withNotion(
    'fails a run on 529 service_overload with a readable error and no dead letters',
    async ({ fake, store, destinationOptions }) => {
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
    },
  );

  withNotion(
    'sends the Notion-Version it was written for (2025-09-03), whatever the installed SDK defaults to',
    async ({ store, destinationOptions }) => {
      const sdkDefault = (Client as unknown as { defaultNotionVersion: string })
        .defaultNotionVersion;
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
    },
  );
});

describe('notion source and the trash', () => {
  const withNotion = notionTest();

  async function readAll(
    source: ReturnType<typeof notion.source>,
    dataSourceId: string,
    cursor: Cursor,
  ) {
    const records: SyncRecord[] = [];
    let last = cursor;
    const telemetry = { retried() {}, waitedForRateLimit() {} };
    for await (const page of source.read(`ds:${dataSourceId}`, { cursor, telemetry })) {
      records.push(...page.records);
      last = page.cursor;
    }
    return { records, cursor: last };
  }

  withNotion(
    'reads a page a person moved to the trash as a deletion on the next incremental run',
    async ({ fake, dataSourceId, token, store }) => {
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
      const source = notion.source({
        dataSourceIds: [dataSourceId],
        auth: { token },
        baseUrl: fake.url,
        keyProperty: 'Repo ID',
        requestsPerSecond: 500,
      });
      const first = await readAll(source, dataSourceId, null);
      expect(first.records).toHaveLength(5);
      const victim = fake.pagesOf(dataSourceId)[2]!;
      fake.trash(victim.id);
      const next = await readAll(source, dataSourceId, first.cursor);
      const gone = next.records.filter((record) => record.deleted);
      expect(gone.map((record) => record.key)).toEqual([
        FakeNotion.plain(victim.properties['Repo ID']),
      ]);
    },
  );
});
