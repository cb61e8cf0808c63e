import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as luma from '../../../src/connectors/luma/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, REAUTHORIZE, runPipeline } from '../../../src/sync/index.js';
import { FakeLuma } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const NOW = new Date('2026-05-01T12:00:00Z');
let fake: FakeLuma;
let store: Store;
let apiKey: string;
let count = 0;

beforeEach(async () => {
  apiKey = `luma_unit_${process.pid}_${++count}`;
  fake = await new FakeLuma({ keys: [apiKey], requestsPerMinute: 1_000_000 }).start();
  store = memoryStore();
});
afterEach(async () => {
  await store.close();
  await fake.close();
});

const connection = (extra: Record<string, unknown> = {}) => ({
  apiKey,
  baseUrl: fake.url,
  requestsPerMinute: 600_000,
  retryMinDelayMs: 5,
  ...extra,
});

function seed(total: number, firstStart = NOW.getTime() - 5 * 86_400_000) {
  return Array.from({ length: total }, (_, index) =>
    fake.addEvent({
      name: `Meetup ${index}`,
      start_at: new Date(firstStart + index * 3_600_000).toISOString(),
      hosts: [{ api_id: `usr-${index}`, name: `Host ${index}`, email: `host${index}@example.com` }],
    }),
  );
}

describe('luma source', () => {
  it('lists the window with Luma’s cursor, the same `after` on every page, hosts by event/get', async () => {
    seed(3, NOW.getTime() - 40 * 86_400_000); // before the window
    const events = seed(120, NOW.getTime() - 2 * 86_400_000);
    const target = memory.destination();
    const pipeline = definePipeline({
      name: 'luma-in',
      source: luma.source({ ...connection(), now: () => NOW }),
      destination: target,
    });
    const result = await runPipeline({ store, pipeline, unit: 'events' });
    expect(result.status).toBe('succeeded');
    expect([...target.byKey().keys()].sort()).toEqual(events.map((event) => event.api_id).sort());
    const lists = fake.server.requests.filter(
      (request) => request.path === '/v1/calendar/list-events',
    );
    expect(lists).toHaveLength(3); // 50 + 50 + 20
    expect(fake.server.count({ path: /\/v1\/event\/get$/ })).toBe(120);
    const first = target.byKey().get(events[0]!.api_id)!.fields;
    expect(first).toMatchObject({
      title: 'Meetup 0',
      hosts: ['Host 0'],
      status: 'Published',
      url: `https://lu.ma/${events[0]!.slug}`,
    });
    // Hosts' emails stay out of records.
    expect(JSON.stringify(first)).not.toContain('@example.com');
    expect(target.byKey().get(events[119]!.api_id)!.fields.status).toBe('Scheduled');
  });

  it('a resumed pass asks for the same `after` as its first page (the window is frozen)', async () => {
    seed(80);
    const afters: string[] = [];
    let clock = NOW.getTime();
    const source = luma.source({ ...connection(), hosts: false, now: () => new Date(clock) });
    const pages = source.read('events', {
      cursor: null,
      telemetry: { retried() {}, waitedForRateLimit() {} },
    });
    const iterator = pages[Symbol.asyncIterator]();
    const first = await iterator.next();
    await iterator.return?.();
    clock += 7 * 86_400_000; // a week later, the process restarts from the committed cursor
    const resumed = source.read('events', {
      cursor: first.value!.cursor,
      telemetry: { retried() {}, waitedForRateLimit() {} },
    });
    const keys: string[] = [];
    for await (const page of resumed) keys.push(...page.records.map((record) => record.key));
    expect(keys).toHaveLength(30);
    for (const request of fake.listQueries) afters.push(request.get('after') ?? '');
    expect(new Set(afters).size).toBe(1);
    expect(afters[0]).toBe(new Date(NOW.getTime() - 21 * 86_400_000).toISOString());
  });

  it('a targeted read fetches the named events; one Luma no longer has is a tombstone', async () => {
    const events = seed(5);
    const target = memory.destination();
    const pipeline = definePipeline({
      name: 'luma-in',
      source: luma.source({ ...connection(), now: () => NOW }),
      destination: target,
      deletes: 'delete',
    });
    await runPipeline({ store, pipeline, unit: 'events' });
    fake.events.delete(events[2]!.api_id);
    const result = await runPipeline({
      store,
      pipeline,
      unit: 'events',
      keys: [events[1]!.api_id, events[2]!.api_id],
    });
    expect(result.stats).toMatchObject({ deleted: 1, failed: 0 });
    expect(target.byKey().has(events[2]!.api_id)).toBe(false);
    expect(fake.server.count({ path: /\/v1\/calendar\/list-events$/ })).toBe(1);
  });

  it('a refused key pauses for re-authorization', async () => {
    seed(2);
    fake.revokeKey(apiKey);
    const pipeline = definePipeline({
      name: 'luma-in',
      source: luma.source(connection()),
      destination: memory.destination(),
    });
    const result = await runPipeline({ store, pipeline, unit: 'events' });
    expect(result.status).toBe('paused');
    expect(result.pausedReason).toContain(REAUTHORIZE);
    expect(result.pausedReason).not.toContain(apiKey);
  });
});

describe('luma destination', () => {
  const records = (version = 1) =>
    Array.from({ length: 6 }, (_, index) => ({
      key: `talk-${index}`,
      fields: {
        title: `Talk ${index} v${version}`,
        startAt: new Date(Date.UTC(2026, 6, 1 + index, 17)),
        speaker: 'dropped: Luma has no place for it',
      },
    }));

  function pipelineOf(rows: () => ReturnType<typeof records>, extra: Record<string, unknown> = {}) {
    return definePipeline({
      name: 'luma-out',
      source: memory.source({ units: { all: rows }, pageSize: 4 }),
      destination: luma.destination({ ...connection(), timezone: 'Europe/Berlin' }),
      ...extra,
    });
  }

  it('creates events, keeps their ids in the links, and updates by `event_id`', async () => {
    let rows = records();
    const pipeline = pipelineOf(() => rows);
    const first = await runPipeline({ store, pipeline, unit: 'all' });
    expect(first.stats).toMatchObject({ created: 6, failed: 0 });
    const links = await store.getLinks(
      'luma-out',
      rows.map((row) => row.key),
    );
    const event = fake.events.get(links.get('talk-3')!.destId)!;
    expect(event).toMatchObject({
      name: 'Talk 3 v1',
      start_at: '2026-07-04T17:00:00.000Z',
      timezone: 'Europe/Berlin',
    });
    rows = records(2);
    fake.server.resetCounts();
    const second = await runPipeline({ store, pipeline, unit: 'all' });
    expect(second.stats).toMatchObject({ created: 0, updated: 6 });
    expect(fake.server.count({ path: /\/v1\/event\/update$/ })).toBe(6);
    expect(fake.server.count({ path: /\/v1\/event\/create$/ })).toBe(0);
    expect(event.name).toBe('Talk 3 v2');
    expect(fake.events.size).toBe(6);
  });

  it('a create-only start is set once and never moved by an update', async () => {
    let rows = records();
    const pipeline = pipelineOf(() => rows, { route: { createOnly: ['startAt'] } });
    await runPipeline({ store, pipeline, unit: 'all' });
    rows = records(2).map((row) => ({
      ...row,
      fields: { ...row.fields, startAt: new Date('2030-01-01T00:00:00Z') },
    }));
    await runPipeline({ store, pipeline, unit: 'all' });
    const names = [...fake.events.values()].map((event) => [event.name, event.start_at]);
    expect(names).toContainEqual(['Talk 0 v2', '2026-07-01T17:00:00.000Z']);
  });

  it('a record without a start is a dead letter naming the record and field', async () => {
    const rows = [{ key: 'no-start', fields: { title: 'Floating talk' } }];
    const pipeline = definePipeline({
      name: 'luma-out',
      source: memory.source({ units: { all: () => rows } }),
      destination: luma.destination(connection()),
    });
    const result = await runPipeline({ store, pipeline, unit: 'all' });
    expect(result.stats.failed).toBe(1);
    const [letter] = await store.listDeadLetters({ pipeline: 'luma-out' });
    expect(letter!.error).toContain('record no-start has no `startAt`');
    expect(fake.server.count({ path: /\/v1\/event\/create$/ })).toBe(0);
  });

  it('paced under the limit it meets no 429; unpaced it is blocked and waits it out', async () => {
    await fake.close();
    // Luma's rule on a short clock: 10 requests a second, then blocked for a second.
    fake = await new FakeLuma({
      keys: [apiKey],
      requestsPerMinute: 10,
      windowMs: 1_000,
      blockMs: 1_000,
    }).start();
    const rows = Array.from({ length: 30 }, (_, index) => ({
      key: `k${index}`,
      fields: { title: `E${index}`, startAt: new Date(Date.UTC(2026, 7, 1, index)) },
    }));
    const paced = definePipeline({
      name: 'paced',
      source: memory.source({ units: { all: () => rows }, pageSize: 10 }),
      // 90% of the limit: arrival jitter on a loaded machine must not tip a window over.
      destination: luma.destination({ ...connection(), requestsPerMinute: 540 }),
    });
    const first = await runPipeline({ store, pipeline: paced, unit: 'all' });
    expect(first.stats.created).toBe(30);
    expect(fake.limited).toBe(0);

    apiKey = `${apiKey}_fast`;
    fake.addKey(apiKey);
    const unpaced = definePipeline({
      name: 'unpaced',
      source: memory.source({ units: { all: () => rows }, pageSize: 30 }),
      destination: luma.destination({ ...connection(), requestsPerMinute: 60_000 }),
      retryMinDelayMs: 5,
    });
    const second = await runPipeline({ store, pipeline: unpaced, unit: 'all' });
    expect(second.stats).toMatchObject({ created: 30, failed: 0 });
    expect(fake.limited).toBeGreaterThan(0);
    expect(fake.events.size).toBe(60);
  }, 60_000);

  it('deletes are refused: Luma has no delete API', async () => {
    let rows = records();
    const pipeline = pipelineOf(() => rows, { deletes: 'delete' });
    await runPipeline({ store, pipeline, unit: 'all' });
    rows = rows.slice(1);
    const result = await runPipeline({ store, pipeline, unit: 'all' });
    expect(result.stats.failed).toBe(1);
    const [letter] = await store.listDeadLetters({ pipeline: 'luma-out' });
    expect(letter!.error).toContain('Luma has no API to delete');
    expect(fake.events.size).toBe(6);
  });
});
