import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, REAUTHORIZE, runPipeline } from '../../../src/sync/index.js';
import { memoryStore } from '../../sync/helpers.js';
import { crashUntilDone } from './crash.js';
import {
  conformanceRecords,
  DESTINATION_CASES,
  type DestinationCase,
  type DestinationFixture,
  type DestinationHarness,
  SOURCE_CASES,
  type SourceCase,
  type SourceFixture,
  type SourceHarness,
} from './harness.js';

/** What a proxy or CDN in front of a service answers with HTML pages. */
const PROXY_STATUSES = [502, 503, 504] as const;

/** Before each case: the harness's fixture started and a fresh store; after it, both closed. */
function freshForEachCase<F extends { close(): Promise<void> }>(
  harness: { start(): Promise<F> },
  started: (fresh: { fixture: F; store: Store }) => void,
): void {
  let fresh: { fixture: F; store: Store } | undefined;
  beforeEach(async () => {
    fresh = { fixture: await harness.start(), store: memoryStore() };
    started(fresh);
  });
  afterEach(async () => {
    await fresh?.store.close();
    await fresh?.fixture.close();
    fresh = undefined;
  });
}

/** Registers each case, or, where the harness lists a gap, a skipped case with its reason. */
function registerCases<Name extends string>(
  names: readonly Name[],
  gaps: Partial<Record<Name, string>>,
  cases: Record<Name, () => Promise<void>>,
  timeoutMs: (name: Name) => number,
): void {
  for (const name of names) {
    const gap = gaps[name];
    if (gap) it.skip(`${name} — not supported: ${gap}`, () => {});
    else it(name, cases[name], timeoutMs(name));
  }
}

/** Runs every source case against one connector; a listed gap is a skipped case with its reason. */
export function sourceConformance(harness: SourceHarness): void {
  describe(`${harness.connector} source conformance`, () => {
    let fixture: SourceFixture;
    let store: Store;
    freshForEachCase(harness, (started) => {
      ({ fixture, store } = started);
    });

    const run = (options: { deletes?: boolean } = {}) => {
      const target = memory.destination();
      const pipeline = definePipeline({
        name: 'conformance',
        source: fixture.source(options),
        destination: target,
        deletes: 'delete',
        retryMinDelayMs: 10,
      });
      return {
        target,
        again: () => runPipeline({ store, pipeline, unit: fixture.unit }),
      };
    };

    const cases: Record<SourceCase, () => Promise<void>> = {
      async 'full read'() {
        const keys = await fixture.seed(130);
        const { target, again } = run();
        const result = await again();
        expect(result.status).toBe('succeeded');
        expect(result.stats.created).toBe(130);
        expect([...target.byKey().keys()].sort()).toEqual([...keys].sort());
      },
      async 'incremental read'() {
        const keys = await fixture.seed(130);
        const { target, again } = run();
        await again();
        const before = target.byKey().get(keys[7]!)!.fields;
        await fixture.change(keys[7]!);
        const second = await again();
        expect(second.stats).toMatchObject({ created: 0, updated: 1, failed: 0 });
        expect(target.byKey().get(keys[7]!)!.fields).not.toEqual(before);
        if (harness.mode === 'incremental') expect(second.stats.read).toBeLessThan(130);
      },
      async deletes() {
        const keys = await fixture.seed(30);
        const { target, again } = run({ deletes: true });
        await again();
        await fixture.remove(keys[3]!);
        const second = await again();
        expect(second.stats.deleted).toBe(1);
        expect(target.byKey().has(keys[3]!)).toBe(false);
        expect(target.byKey().size).toBe(29);
      },
      async 'no-change re-run'() {
        await fixture.seed(130);
        const { target, again } = run();
        await again();
        const writes = target.writes.length;
        fixture.server.resetCounts();
        const second = await again();
        expect(second.stats).toMatchObject({ created: 0, updated: 0, deleted: 0, failed: 0 });
        expect(target.writes.length).toBe(writes);
        expect(fixture.server.writes(fixture.readOnlyPosts)).toBe(0);
      },
      async '429 storm'() {
        const keys = await fixture.seed(130);
        fixture.server.setRateLimit({ requestsPerSecond: 8, burst: 1 });
        const { target, again } = run();
        const result = await again();
        expect(result.status).toBe('succeeded');
        const limited = fixture.rateLimitedStatus ?? 429;
        expect(fixture.server.count({ status: limited })).toBeGreaterThan(0);
        expect([...target.byKey().keys()].sort()).toEqual([...keys].sort());
      },
      async '401 pauses'() {
        await fixture.seed(5);
        fixture.revoke();
        const { target, again } = run();
        const result = await again();
        expect(result.status).toBe('paused');
        expect(result.pausedReason).toContain(REAUTHORIZE);
        expect(target.writes).toHaveLength(0);
      },
      async '5xx retried'() {
        const keys = await fixture.seed(130);
        fixture.server.inject({ kind: 'status', status: 502, times: 2, path: fixture.listPath });
        const { target, again } = run();
        const result = await again();
        expect(result.status).toBe('succeeded');
        expect(fixture.server.count({ status: 502 })).toBe(2);
        expect([...target.byKey().keys()].sort()).toEqual([...keys].sort());
      },
      async 'HTML 5xx retried'() {
        const keys = await fixture.seed(130);
        for (const status of PROXY_STATUSES) {
          fixture.server.inject({ kind: 'status', status, html: true, path: fixture.listPath });
        }
        const { target, again } = run();
        const result = await again();
        expect(result.status).toBe('succeeded');
        for (const status of PROXY_STATUSES) expect(fixture.server.count({ status })).toBe(1);
        expect([...target.byKey().keys()].sort()).toEqual([...keys].sort());
      },
    };

    registerCases(SOURCE_CASES, harness.gaps, cases, () => 60_000);
  });
}

/** Runs every destination case against one connector. */
export function destinationConformance(harness: DestinationHarness): void {
  describe(`${harness.connector} destination conformance`, () => {
    let fixture: DestinationFixture;
    let store: Store;
    freshForEachCase(harness, (started) => {
      ({ fixture, store } = started);
    });

    const pipelineOf = (records: () => readonly SyncRecord[]) =>
      definePipeline({
        name: 'conformance',
        source: memory.source({ units: { all: records }, pageSize: 25 }),
        destination: fixture.destination(),
        deletes: fixture.deletes,
        retryMinDelayMs: 10,
      });
    const runWith = (records: () => readonly SyncRecord[]) =>
      runPipeline({ store, pipeline: pipelineOf(records), unit: 'all' });

    /** Every key holds exactly one object, with the record's title. */
    async function expectOnce(records: readonly SyncRecord[]) {
      const objects = await fixture.objects();
      for (const record of records) {
        const held = objects.get(record.key) ?? [];
        expect(held, `objects for ${record.key}`).toHaveLength(1);
        expect(held[0]!.title).toBe(record.fields.title);
      }
      expect(objects.size).toBe(records.length);
    }

    const cases: Record<DestinationCase, () => Promise<void>> = {
      async creates() {
        const records = conformanceRecords(60);
        const result = await runWith(() => records);
        expect(result.stats).toMatchObject({ created: 60, failed: 0 });
        await expectOnce(records);
      },
      async updates() {
        let records = conformanceRecords(30);
        await runWith(() => records);
        records = records.map((record, index) =>
          index < 3 ? conformanceRecords(30, 2)[index]! : record,
        );
        const second = await runWith(() => records);
        expect(second.stats).toMatchObject({ created: 0, updated: 3, failed: 0 });
        await expectOnce(records);
      },
      async deletes() {
        let records = conformanceRecords(30);
        await runWith(() => records);
        const gone = records[4]!.key;
        records = records.filter((record) => record.key !== gone);
        const second = await runWith(() => records);
        expect(second.stats.deleted).toBe(1);
        const held = (await fixture.objects()).get(gone) ?? [];
        expect(held.every((object) => object.archived)).toBe(true);
      },
      async 'no-change re-run'() {
        const records = conformanceRecords(60);
        await runWith(() => records);
        fixture.server.resetCounts();
        const second = await runWith(() => records);
        expect(second.stats).toMatchObject({ created: 0, updated: 0, unchanged: 60 });
        expect(fixture.server.writes(fixture.readOnlyPosts)).toBe(0);
      },
      async '429 storm'() {
        fixture.server.setRateLimit({ requestsPerSecond: 20, burst: 2 });
        const records = conformanceRecords(20);
        const result = await runWith(() => records);
        expect(result.status).toBe('succeeded');
        expect(fixture.server.count({ status: 429 })).toBeGreaterThan(0);
        await expectOnce(records);
      },
      async '401 pauses'() {
        fixture.revoke();
        const result = await runWith(() => conformanceRecords(5));
        expect(result.status).toBe('paused');
        expect(result.pausedReason).toContain(REAUTHORIZE);
        expect(fixture.server.writes(fixture.readOnlyPosts)).toBe(0);
      },
      async '5xx retried'() {
        const { method, path } = fixture.createPath;
        fixture.server.inject({ kind: 'status', status: 503, times: 2, method, path });
        const records = conformanceRecords(10);
        const result = await runWith(() => records);
        expect(result.status).toBe('succeeded');
        expect(fixture.server.count({ status: 503 })).toBe(2);
        await expectOnce(records);
      },
      async 'HTML 5xx retried'() {
        const { method, path } = fixture.createPath;
        for (const status of PROXY_STATUSES) {
          fixture.server.inject({ kind: 'status', status, html: true, method, path });
        }
        const records = conformanceRecords(10);
        const result = await runWith(() => records);
        expect(result.status).toBe('succeeded');
        expect(result.stats.failed).toBe(0);
        for (const status of PROXY_STATUSES) expect(fixture.server.count({ status })).toBe(1);
        await expectOnce(records);
      },
      async 'lost create answer'() {
        const { method, path } = fixture.createPath;
        fixture.server.inject({ kind: 'drop', times: 2, method, path });
        const records = conformanceRecords(6);
        const result = await runWith(() => records);
        expect(result.stats.failed).toBe(0);
        await expectOnce(records);
      },
      async 'SIGKILL mid-run'() {
        const records = conformanceRecords(240);
        const { kills } = await crashUntilDone(harness, fixture, records.length);
        expect(kills).toBeGreaterThanOrEqual(2);
        await expectOnce(records);
      },
    };

    registerCases(DESTINATION_CASES, harness.gaps, cases, (name) =>
      name === 'SIGKILL mid-run' ? 180_000 : 60_000,
    );
  });
}
