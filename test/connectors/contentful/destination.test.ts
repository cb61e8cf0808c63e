import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as contentful from '../../../src/connectors/contentful/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeContentful } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

let tokens = 0;

describe('contentful destination', () => {
  let fake: FakeContentful;
  let store: Store;
  let token: string;
  beforeEach(async () => {
    token = `cma_unit_${process.pid}_${++tokens}`;
    fake = await new FakeContentful({ managementTokens: [token] }).start();
    fake.management.defineContentType('event', [
      { id: 'title', type: 'Symbol', required: true },
      { id: 'starts', type: 'Date' },
      { id: 'seats', type: 'Integer' },
      { id: 'notes', type: 'Text' },
    ]);
    store = memoryStore();
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const make = (
    records: () => readonly SyncRecord[],
    options: Partial<contentful.ContentfulDestinationOptions> = {},
  ) => {
    const pipeline = definePipeline({
      name: 'calendar',
      source: memory.source({ units: { all: records } }),
      destination: contentful.destination({
        space: fake.space,
        accessToken: token,
        baseUrl: fake.managementUrl,
        contentType: 'event',
        fields: { title: 'title', starts: 'starts', seats: 'seats' },
        bodyField: 'notes',
        requestsPerSecond: 500,
        ...options,
      }),
      deletes: 'delete',
      retryMinDelayMs: 10,
    });
    return () => runPipeline({ store, pipeline, unit: 'all' });
  };
  const entryOf = (key: string) => fake.management.entries.get(contentful.entryIdFor('event', key));

  it('writes the key-derived entry in the default locale and keeps a translator’s other locale on update', async () => {
    let records: SyncRecord[] = [
      {
        key: 'ev-1',
        fields: { title: 'Launch', starts: new Date('2026-03-01T10:00:00Z'), seats: 40 },
        body: 'Bring badges',
      },
    ];
    const run = make(() => records);
    expect((await run()).stats.created).toBe(1);
    const entry = entryOf('ev-1')!;
    expect(entry.fields).toEqual({
      title: { 'en-US': 'Launch' },
      starts: { 'en-US': '2026-03-01T10:00:00.000Z' },
      seats: { 'en-US': 40 },
      notes: { 'en-US': 'Bring badges' },
    });
    expect(entry.publishedVersion).toBeUndefined();

    fake.management.edit(entry.id, { title: { 'en-US': 'Launch', 'de-DE': 'Start' } });
    records = [{ ...records[0]!, fields: { ...records[0]!.fields, title: 'Launch day' } }];
    expect((await run()).stats).toMatchObject({ updated: 1, failed: 0 });
    expect(entryOf('ev-1')!.fields.title).toEqual({ 'en-US': 'Launch day', 'de-DE': 'Start' });
  });

  it('re-reads the version when a person saved the entry between its read and its write, keeping both changes', async () => {
    let records: SyncRecord[] = [{ key: 'ev-1', fields: { title: 'v1', seats: 1 } }];
    const run = make(() => records);
    await run();
    const id = contentful.entryIdFor('event', 'ev-1');
    fake.management.editBeforeNextWrite(id, { notes: { 'de-DE': 'Bitte Ausweis mitbringen' } });
    fake.management.server.resetCounts();
    records = [{ key: 'ev-1', fields: { title: 'v2', seats: 1 } }];
    const second = await run();
    expect(second.stats).toMatchObject({ updated: 1, failed: 0 });
    expect(fake.management.server.count({ status: 409 })).toBe(1);
    const entry = fake.management.entries.get(id)!;
    expect(entry.fields.title).toEqual({ 'en-US': 'v2' });
    expect(entry.fields.notes).toEqual({ 'de-DE': 'Bitte Ausweis mitbringen' });
  });

  it('publishes when asked, and an entry that cannot be published stays a draft, its record a dead letter naming the field', async () => {
    const run = make(
      () => [
        { key: 'ok', fields: { title: 'Published', seats: 3 } },
        { key: 'untitled', fields: { title: '', seats: 4 } },
      ],
      { publish: true },
    );
    const result = await run();
    expect(result.stats).toMatchObject({ created: 1, failed: 1 });
    expect(entryOf('ok')!.publishedVersion).toBe(1);
    expect(fake.entries.has(contentful.entryIdFor('event', 'ok'))).toBe(true);
    expect(entryOf('untitled')!.publishedVersion).toBeUndefined();
    const [letter] = await store.listDeadLetters({ pipeline: 'calendar' });
    expect(letter!.error).toContain('fields.title: required');
    expect(letter!.error).toContain('record untitled, field title');
    expect(letter!.error).toContain('saved as a draft');
  });

  it('turns a value of the wrong type into a dead letter naming the record and field, and writes the rest', async () => {
    const run = make(() => [
      { key: 'a', fields: { title: 'A', seats: 2 } },
      { key: 'b', fields: { title: 'B', seats: 'many' } },
    ]);
    const result = await run();
    expect(result.stats).toMatchObject({ created: 1, failed: 1 });
    const [letter] = await store.listDeadLetters({ pipeline: 'calendar' });
    expect(letter!.error).toContain('422 ValidationFailed');
    expect(letter!.error).toContain('fields.seats.en-US: type');
    expect(letter!.error).toContain('record b, field seats');
  });

  it('names an unknown locale or field before writing anything', async () => {
    const badLocale = await make(() => [{ key: 'a', fields: { title: 'A' } }], {
      locale: 'fr-FR',
    })();
    expect(badLocale.status).toBe('failed');
    expect(badLocale.error).toContain('no locale `fr-FR`');
    const badField = await make(() => [{ key: 'a', fields: { title: 'A' } }], {
      fields: { title: 'headline' },
    })();
    expect(badField.error).toContain('has no field `headline` (for `title`)');
    expect(fake.management.server.writes()).toBe(0);
  });

  it('recreates an entry a person deleted, at the same id', async () => {
    let records: SyncRecord[] = [{ key: 'ev-1', fields: { title: 'One' } }];
    const run = make(() => records);
    await run();
    fake.management.entries.delete(contentful.entryIdFor('event', 'ev-1'));
    records = [{ key: 'ev-1', fields: { title: 'One again' } }];
    expect((await run()).stats).toMatchObject({ updated: 1, failed: 0 });
    expect(entryOf('ev-1')!.fields.title).toEqual({ 'en-US': 'One again' });
  });

  it('unpublishes before deleting', async () => {
    let records: SyncRecord[] = [{ key: 'ev-1', fields: { title: 'One' } }];
    const run = make(() => records, { publish: true });
    await run();
    records = [];
    expect((await run()).stats.deleted).toBe(1);
    expect(entryOf('ev-1')).toBeUndefined();
    expect(fake.entries.has(contentful.entryIdFor('event', 'ev-1'))).toBe(false);
  });

  it('waits out X-Contentful-RateLimit-Reset with the whole limiter, not each request on its own', async () => {
    const records = Array.from({ length: 12 }, (_, index) => ({
      key: `k${index}`,
      fields: { title: `T${index}` },
    }));
    fake.management.server.setRateLimit({ requestsPerSecond: 4, burst: 4 });
    const result = await make(() => records, { requestsPerSecond: 1000, concurrency: 1 })();
    expect(result.status).toBe('succeeded');
    expect(result.stats.created).toBe(12);
    const limited = fake.management.server.count({ status: 429 });
    expect(limited).toBeGreaterThan(0);
    // 14 requests (2 schema reads, 12 creates) through a bucket of 4: waiting out each 1 s
    // reset refills it, so about one refusal per 4 requests. Without the pause every queued
    // request would go at once and be refused in turn.
    expect(limited).toBeLessThanOrEqual(8);
    expect(result.stats.rateLimitWaitMs).toBeGreaterThanOrEqual(900);
  });
});
