import { describe, expect, it } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import * as notion from '../../../src/connectors/notion/index.js';
import { definePipeline, REAUTHORIZE, runPipeline } from '../../../src/sync/index.js';
import { FakeNotion } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';
import { expectOutageFailsThenHeals } from '../destination-scenarios.js';
import { outages } from '../outages.js';
import { notionPipeline, notionTest, REPO_MAPPING, repoRecords } from './helpers.js';

const QUERY = [/\/query$/];

describe('notion destination', () => {
  const withNotion = notionTest({ concurrency: 8 });

  withNotion(
    'writes every property type, stamps the key, and writes nothing on an unchanged re-run',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      const records = repoRecords(60);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions(),
      });
      const first = await runPipeline({ store, pipeline, unit: 'all' });
      expect(first.status).toBe('succeeded');
      expect(first.stats.created).toBe(60);
      const pages = fake.pagesOf(dataSourceId);
      expect(pages).toHaveLength(60);
      const page = pages.find(
        (candidate) => FakeNotion.plain(candidate.properties['Repo ID']) === '5003',
      )!;
      expect(FakeNotion.plain(page.properties.Name)).toBe('repo-3');
      expect(FakeNotion.plain(page.properties.Stars)).toBe(3);
      expect(FakeNotion.plain(page.properties.Archived)).toBe(false);
      expect(FakeNotion.plain(page.properties.Language)).toBe('Go');
      expect(FakeNotion.plain(page.properties.Topics)).toEqual(['sync', 't0']);
      expect(FakeNotion.plain(page.properties.Pushed)).toBe('2026-01-01T00:03:00.000Z');
      expect(FakeNotion.plain(page.properties.URL)).toBe('https://github.com/acme/repo-3');

      fake.server.resetCounts();
      const second = await runPipeline({ store, pipeline, unit: 'all' });
      expect(second.stats).toMatchObject({ created: 0, updated: 0, unchanged: 60 });
      expect(fake.server.writes(QUERY)).toBe(0);
      // Only the schema check reads: links in the store make lookups unnecessary.
      expect(fake.server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        `GET /v1/data_sources/${dataSourceId}`,
      ]);
    },
  );

  withNotion(
    'finds pages again by their key property when the store lost its links, instead of duplicating',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      const records = repoRecords(30);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions(),
      });
      await runPipeline({ store, pipeline, unit: 'all' });
      const fresh = memoryStore();
      const changed = repoRecords(30, 2);
      const again = notionPipeline({ records: () => changed, destination: destinationOptions() });
      const result = await runPipeline({ store: fresh, pipeline: again, unit: 'all' });
      await fresh.close();
      expect(result.stats).toMatchObject({ created: 0, updated: 30 });
      expect(fake.pagesOf(dataSourceId)).toHaveLength(30);
      expect(fake.server.count({ method: 'POST', path: /^\/v1\/pages$/ })).toBe(30);
    },
  );

  withNotion(
    'reports a property type mismatch before any write, naming the property and field',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      fake.schemaOf(dataSourceId).Stars!.type = 'rich_text';
      const pipeline = notionPipeline({
        records: () => repoRecords(5),
        destination: destinationOptions(),
      });
      const result = await runPipeline({ store, pipeline, unit: 'all' });
      expect(result.status).toBe('failed');
      expect(result.error).toContain(
        'property `Stars` is rich_text in Notion, but field `stars` is mapped to it as number',
      );
      expect(result.error).toContain('nothing was written');
      expect(fake.server.writes(QUERY)).toBe(0);
    },
  );

  withNotion(
    'reports missing properties, or adds them when allowed',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      const mapping = { ...REPO_MAPPING, Forks: { type: 'number' as const, field: 'forks' } };
      const records = repoRecords(3).map((record) => ({
        ...record,
        fields: { ...record.fields, forks: 7 },
      }));
      const refused = await runPipeline({
        store,
        pipeline: notionPipeline({
          records: () => records,
          destination: destinationOptions({ properties: mapping }),
        }),
        unit: 'all',
      });
      expect(refused.error).toContain('property `Forks` (number) is missing');
      expect(fake.server.writes(QUERY)).toBe(0);

      const created = await runPipeline({
        store,
        pipeline: notionPipeline({
          records: () => records,
          destination: destinationOptions({ properties: mapping, createMissingProperties: true }),
        }),
        unit: 'all',
      });
      expect(created.status).toBe('succeeded');
      expect(fake.schemaOf(dataSourceId).Forks!.type).toBe('number');
      expect(FakeNotion.plain(fake.pagesOf(dataSourceId)[0]!.properties.Forks)).toBe(7);
    },
  );

  withNotion(
    'dead-letters a record whose value does not fit, naming the record and field, and writes the rest',
    async ({ store, destinationOptions }) => {
      const records = repoRecords(4);
      records[1] = { ...records[1]!, fields: { ...records[1]!.fields, stars: 'many' } };
      const result = await runPipeline({
        store,
        pipeline: notionPipeline({ records: () => records, destination: destinationOptions() }),
        unit: 'all',
      });
      expect(result.stats).toMatchObject({ created: 3, failed: 1 });
      const [letter] = await store.listDeadLetters({ pipeline: 'repos' });
      expect(letter!.key).toBe('5001');
      expect(letter!.error).toContain(
        'record 5001: field `stars` cannot be written to Notion number property `Stars`',
      );
    },
  );

  withNotion(
    'splits long text into 2,000-character parts and long bodies into 100-block requests',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      const long = 'x'.repeat(4_500);
      const body = Array.from({ length: 250 }, (_, index) => `- item ${index}`).join('\n');
      const records = [
        {
          ...repoRecords(1)[0]!,
          body,
          fields: { ...repoRecords(1)[0]!.fields, description: long },
        },
      ];
      const result = await runPipeline({
        store,
        pipeline: notionPipeline({ records: () => records, destination: destinationOptions() }),
        unit: 'all',
      });
      expect(result.status).toBe('succeeded');
      const [page] = fake.pagesOf(dataSourceId);
      const parts = page!.properties.Description!.rich_text as Array<{ plain_text: string }>;
      expect(parts.map((part) => part.plain_text.length)).toEqual([2000, 2000, 500]);
      expect(page!.children).toHaveLength(250);
      expect(fake.server.count({ method: 'PATCH', path: /\/children$/ })).toBe(2);
    },
  );

  withNotion(
    'writes relations by key, after the related page exists',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      fake.schemaOf(dataSourceId).Parent = {
        id: 'par',
        name: 'Parent',
        type: 'relation',
        relation: {},
      };
      const records = [
        { key: 'child', fields: { name: 'Child', parent: 'root' }, refs: ['root'] },
        { key: 'root', fields: { name: 'Root', parent: null } },
      ];
      const result = await runPipeline({
        store,
        pipeline: notionPipeline({
          records: () => records,
          destination: destinationOptions({
            properties: {
              Name: { type: 'title', field: 'name' },
              Parent: { type: 'relation', field: 'parent' },
            },
          }),
        }),
        unit: 'all',
      });
      expect(result.status).toBe('succeeded');
      const pages = fake.pagesOf(dataSourceId);
      const root = pages.find((page) => FakeNotion.plain(page.properties.Name) === 'Root')!;
      const child = pages.find((page) => FakeNotion.plain(page.properties.Name) === 'Child')!;
      expect(FakeNotion.plain(child.properties.Parent)).toEqual([root.id]);
    },
  );

  withNotion(
    'keeps create-only properties as people edited them',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      const records = repoRecords(2);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions(),
        route: { createOnly: ['language'] },
      });
      await runPipeline({ store, pipeline, unit: 'all' });
      const page = fake.pagesOf(dataSourceId)[0]!;
      (page.properties.Language as { select: unknown }).select = { name: 'Hand-picked' };
      records[0] = {
        ...records[0]!,
        fields: { ...records[0]!.fields, stars: 99, language: 'Rust' },
      };
      records[1] = {
        ...records[1]!,
        fields: { ...records[1]!.fields, stars: 99, language: 'Rust' },
      };
      await runPipeline({ store, pipeline, unit: 'all' });
      expect(FakeNotion.plain(page.properties.Stars)).toBe(99);
      expect(FakeNotion.plain(page.properties.Language)).toBe('Hand-picked');
    },
  );

  withNotion(
    'survives a 429 storm: every record written exactly once, with waits reported',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      // The service allows far less than the client was told: every burst meets 429s.
      fake.server.setRateLimit({ requestsPerSecond: 20, burst: 5 });
      const records = repoRecords(20);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions({ requestsPerSecond: 200, concurrency: 3, retries: 20 }),
      });
      const result = await runPipeline({ store, pipeline, unit: 'all' });
      expect(result.status).toBe('succeeded');
      expect(result.stats.created).toBe(20);
      expect(result.stats.rateLimitWaitMs).toBeGreaterThan(0);
      const keys = fake
        .pagesOf(dataSourceId)
        .map((page) => FakeNotion.plain(page.properties['Repo ID']));
      expect(new Set(keys).size).toBe(20);
      expect(keys).toHaveLength(20);
      const limited = fake.server.count({ status: 429 });
      expect(limited).toBeGreaterThan(0);
      // Accepted requests: 1 schema read + 1 lookup + 20 creates, no more.
      expect(fake.server.count() - limited).toBe(22);
      // Each 429 pauses the whole limiter for its Retry-After: at most the requests in flight
      // meet the same refusal.
      expect(limited).toBeLessThanOrEqual(3 * Math.ceil(result.stats.rateLimitWaitMs / 1000) + 3);
    },
  );

  withNotion(
    'sends no request beyond the budget when paced at the service limit',
    async ({ fake, store, destinationOptions }) => {
      fake.server.setRateLimit({ requestsPerSecond: 10, burst: 10 });
      const records = repoRecords(25);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions({ requestsPerSecond: 10, concurrency: 3 }),
      });
      const result = await runPipeline({ store, pipeline, unit: 'all' });
      expect(result.stats.created).toBe(25);
      expect(fake.server.count({ status: 429 })).toBe(0);
      expect(fake.server.count()).toBe(27);
    },
  );

  withNotion(
    'does not duplicate a page whose create was applied but whose answer was lost',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      fake.server.inject({ kind: 'drop', method: 'POST', path: /^\/v1\/pages$/ });
      fake.server.inject({ kind: 'status', status: 503, method: 'POST', path: /^\/v1\/pages$/ });
      fake.server.inject({ kind: 'timeout', method: 'POST', path: /^\/v1\/pages$/ });
      const records = repoRecords(6);
      const result = await runPipeline({
        store,
        pipeline: notionPipeline({
          records: () => records,
          destination: destinationOptions({ timeoutMs: 300, concurrency: 1 }),
        }),
        unit: 'all',
      });
      expect(result.status).toBe('succeeded');
      expect(result.stats.created).toBe(6);
      const keys = fake
        .pagesOf(dataSourceId)
        .map((page) => FakeNotion.plain(page.properties['Repo ID']));
      expect(keys.sort()).toEqual(records.map((record) => record.key).sort());
    },
  );

  for (const outage of outages({ method: 'POST', path: /^\/v1\/pages$/ })) {
    withNotion(
      `fails the run on ${outage.name} and keeps the cursor, dead-lettering nothing; the next run writes the rest once`,
      async ({ fake, dataSourceId, store, destinationOptions }) => {
        const records = repoRecords(30);
        const pipeline = notionPipeline({
          records: () => records,
          destination: destinationOptions({ timeoutMs: 300, retries: 1 }),
          writeRetries: 1,
        });
        // The service goes down once the first page (25 records) is committed.
        await expectOutageFailsThenHeals({
          outage,
          server: fake.server,
          store,
          pipeline,
          firstPage: 25,
          rest: 5,
          heldKeys: () =>
            fake.pagesOf(dataSourceId).map((page) => FakeNotion.plain(page.properties['Repo ID'])),
          expectedKeys: records.map((record) => record.key),
          error: /Destination notion is failing|Notion .* failed/,
        });
      },
    );
  }
  withNotion(
    'does not duplicate a lost create while queries do not see new pages yet (2 s lag)',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      fake.setQueryLag(2_000);
      fake.server.inject({ kind: 'drop', method: 'POST', path: /^\/v1\/pages$/ });
      const records = repoRecords(3);
      const result = await runPipeline({
        store,
        pipeline: notionPipeline({
          records: () => records,
          destination: destinationOptions({ timeoutMs: 5_000, concurrency: 1 }),
        }),
        unit: 'all',
      });
      expect(result.status).toBe('succeeded');
      expect(fake.pagesOf(dataSourceId)).toHaveLength(3);
    },
  );

  withNotion(
    'dead-letters the record of a page not shared with the integration (403), writing the others',
    async ({ fake, store, destinationOptions }) => {
      const records = repoRecords(6);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions(),
      });
      await runPipeline({ store, pipeline, unit: 'all' });
      const link = (await store.getLinks('repos', [records[2]!.key])).get(records[2]!.key)!;
      fake.restrict(link.destId);
      records.forEach((record, index) => {
        records[index] = { ...record, fields: { ...record.fields, stars: 1000 + index } };
      });
      const result = await runPipeline({ store, pipeline, unit: 'all' });
      expect(result.status).toBe('succeeded');
      expect(result.pausedReason).toBeNull();
      expect(result.stats.updated).toBe(5);
      expect(result.stats.failed).toBe(1);
      const [letter] = await store.listDeadLetters({ pipeline: 'repos' });
      expect(letter!.key).toBe(records[2]!.key);
      expect(letter!.error).toMatch(/403 restricted_resource/);
      expect(letter!.error).toMatch(/share the object with the integration/);
    },
  );

  withNotion(
    'pauses with "re-authorize" on a revoked token and stops writing',
    async ({ fake, token, store, destinationOptions }) => {
      const records = repoRecords(10);
      const pipeline = notionPipeline({
        records: () => records,
        destination: destinationOptions(),
      });
      await runPipeline({ store, pipeline, unit: 'all' });
      fake.revokeToken(token);
      fake.server.resetCounts();
      records.forEach((record, index) => {
        records[index] = { ...record, fields: { ...record.fields, stars: 1000 + index } };
      });
      const result = await runPipeline({ store, pipeline, unit: 'all' });
      expect(result.status).toBe('paused');
      expect(result.pausedReason).toContain(REAUTHORIZE);
      expect(result.pausedReason).toContain('401');
      expect(fake.server.count({ status: 200 })).toBe(0);
      expect(fake.server.count()).toBe(1);
    },
  );
});

describe('notion destination with public-integration OAuth', () => {
  it('refreshes a dead access token once for concurrent sessions, stores tokens encrypted, and pauses when the grant is revoked', async () => {
    const fake = await new FakeNotion({
      tokens: [],
      oauthClient: { clientId: 'client-1', clientSecret: 'shh' },
    }).start();
    const { dataSourceId } = fake.createDatabase('Repositories', {
      Name: { type: 'title' },
      'keepsync key': { type: 'rich_text' },
    });
    const store = memoryStore();
    const tokens = await notion.exchangeCode(
      { clientId: 'client-1', clientSecret: 'shh', baseUrl: fake.url },
      { code: fake.issueCode(), redirectUri: 'http://127.0.0.1:9/callback' },
    );
    await notion.saveTokens(store, 'workspace', tokens);
    const oauth = { connection: 'workspace', clientId: 'client-1', clientSecret: 'shh', store };
    const pipelineFor = (name: string, count: number) =>
      definePipeline({
        name,
        source: memory.source({
          units: {
            all: Array.from({ length: count }, (_, i) => ({
              key: `${name}-${i}`,
              fields: { name: `${name} ${i}` },
            })),
          },
        }),
        destination: notion.destination({
          dataSourceId,
          auth: { oauth },
          baseUrl: fake.url,
          properties: { Name: { type: 'title', field: 'name' } },
          requestsPerSecond: 500,
        }),
        retryMinDelayMs: 10,
      });
    // The access token dies (rotation elsewhere, expiry): every session must refresh once.
    fake.revokeToken(tokens.access_token);
    const results = await Promise.all([
      runPipeline({ store, pipeline: pipelineFor('a', 5), unit: 'all' }),
      runPipeline({ store, pipeline: pipelineFor('b', 5), unit: 'all' }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['succeeded', 'succeeded']);
    expect(fake.server.count({ method: 'POST', path: /oauth\/token$/ })).toBe(2); // code + one refresh
    expect(fake.pagesOf(dataSourceId)).toHaveLength(10);
    const names = notion.secretNames('workspace');
    const stored = await store.getSecret(names.refresh);
    expect(stored).not.toBe(tokens.refresh_token);

    fake.revokeRefreshTokens();
    const paused = await runPipeline({ store, pipeline: pipelineFor('c', 2), unit: 'all' });
    expect(paused.status).toBe('paused');
    expect(paused.pausedReason).toContain('keepsync auth workspace');
    await store.close();
    await fake.close();
  });
});
