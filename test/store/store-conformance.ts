import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isKeepsyncError } from '../../src/model/index.js';
import {
  type DeadLetterWrite,
  emptyStats,
  type LinkWrite,
  type PageCommit,
  type Store,
} from '../../src/store/index.js';
import { sqliteMigrations } from '../../src/store/sqlite-schema.js';
import { describeLeaseConformance } from './lease-conformance.js';
import { describeLinkCompareConformance } from './link-compare-conformance.js';

export interface OpenStoreOptions {
  /** The key sealing secrets; `null` opens a store with no key at all. Default: the suite's. */
  secretKey?: Uint8Array | null;
}

/** Opens a store on the suite's one database: every store it returns sees the same data. */
export type OpenStore = (options?: OpenStoreOptions) => Promise<Store>;

/**
 * Runs literal SQL (no parameters, so one text suits both dialects) against the store's own
 * tables, to check what is really stored and to damage it on purpose.
 */
export type RawSql = (text: string) => Promise<Record<string, unknown>[]>;

/**
 * The behaviour every Store backend must share. All tests use one database, so each takes
 * pipeline names no other test uses.
 */
export function describeStoreConformance(
  name: string,
  open: OpenStore,
  cleanup: () => Promise<void>,
  sql: RawSql,
): void {
  describe(`${name} store conformance`, () => {
    const opened: Store[] = [];
    let store: Store;
    let pipelines = 0;

    async function openStore(options?: OpenStoreOptions): Promise<Store> {
      const next = await open(options);
      opened.push(next);
      return next;
    }

    function freshPipeline(label = 'p'): string {
      pipelines += 1;
      return `${label}-${pipelines}`;
    }

    beforeAll(async () => {
      store = await openStore();
    });

    afterAll(async () => {
      await Promise.all(opened.map((each) => each.close()));
      await cleanup();
    });

    afterEach(() => {
      vi.unstubAllEnvs();
    });

    /** A page of `unit` that changes nothing unless `changes` says so. */
    async function commit(
      pipeline: string,
      changes: Partial<PageCommit> & { unit?: string } = {},
      target: Store = store,
    ): Promise<number> {
      const unit = changes.unit ?? 'u';
      const runId = changes.runId ?? (await target.startRun(pipeline, unit, 'manual'));
      await target.commitPage({
        pipeline,
        unit,
        runId,
        links: [],
        removedLinks: [],
        deadLetters: [],
        resolvedDeadLetters: [],
        stats: emptyStats(),
        ...changes,
      });
      return runId;
    }

    function link(key: string, overrides: Partial<LinkWrite> = {}): LinkWrite {
      return {
        key,
        destId: `dest-${key}`,
        hash: `hash-${key}`,
        sourceUpdatedMs: null,
        ...overrides,
      };
    }

    async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
      const error = await promise.then(
        () => {
          throw new Error(`Expected a KeepsyncError ${code}, but the call succeeded`);
        },
        (caught: unknown) => caught,
      );
      expect(isKeepsyncError(error), String(error)).toBe(true);
      expect((error as { code: string }).code).toBe(code);
      return error as Error;
    }

    describe('links', () => {
      it('returns the links a page committed, keyed by record key', async () => {
        const p = freshPipeline();
        await commit(p, {
          links: [
            link('a', { sourceUpdatedMs: 1_700_000_000_123 }),
            link('b', { sourceUpdatedMs: null }),
          ],
        });

        const links = await store.getLinks(p, ['a', 'b']);

        expect([...links.keys()].sort()).toEqual(['a', 'b']);
        expect(links.get('a')).toEqual({
          key: 'a',
          destId: 'dest-a',
          hash: 'hash-a',
          sourceUpdatedMs: 1_700_000_000_123,
        });
        expect(links.get('b')).toEqual({
          key: 'b',
          destId: 'dest-b',
          hash: 'hash-b',
          sourceUpdatedMs: null,
        });
      });

      it('leaves keys it has never seen out of the map, and answers no keys with nothing', async () => {
        const p = freshPipeline();
        await commit(p, { links: [link('known')] });

        const links = await store.getLinks(p, ['known', 'unknown']);

        expect([...links.keys()]).toEqual(['known']);
        expect((await store.getLinks(p, [])).size).toBe(0);
        expect((await store.getLinks(freshPipeline(), ['known'])).size).toBe(0);
      });

      it('replaces a link when its key is committed again', async () => {
        const p = freshPipeline();
        await commit(p, { links: [link('a')] });
        await commit(p, {
          links: [link('a', { destId: 'moved', hash: 'h2', sourceUpdatedMs: 42 })],
        });

        expect((await store.getLinks(p, ['a'])).get('a')).toEqual({
          key: 'a',
          destId: 'moved',
          hash: 'h2',
          sourceUpdatedMs: 42,
        });
        expect(await store.countLinks(p)).toBe(1);
      });

      it('keeps the last write when one page names the same key twice', async () => {
        const p = freshPipeline();
        await commit(p, { links: [link('a', { hash: 'first' }), link('a', { hash: 'second' })] });

        expect((await store.getLinks(p, ['a'])).get('a')?.hash).toBe('second');
      });

      it('stores keys with quotes, commas, braces, backslashes and the word NULL as they are', async () => {
        const p = freshPipeline();
        const keys = ['a,b', '"quoted"', '{braces}', 'back\\slash', 'NULL', 'ünïcødé 🙂', ' '];
        await commit(p, { links: keys.map((key) => link(key)) });

        const links = await store.getLinks(p, keys);

        expect([...links.keys()].sort()).toEqual([...keys].sort());
        for (const key of keys) expect(links.get(key)?.destId).toBe(`dest-${key}`);
      });

      it('commits a page of 5,000 links at once', async () => {
        const p = freshPipeline();
        const keys = Array.from({ length: 5000 }, (_, index) => `k${index}`);
        await commit(p, { links: keys.map((key) => link(key)) });

        expect(await store.countLinks(p)).toBe(5000);
        expect((await store.getLinks(p, keys)).size).toBe(5000);
      });

      it('counts links per pipeline and per unit', async () => {
        const p = freshPipeline();
        await commit(p, { unit: 'u1', links: [link('a'), link('b')] });
        await commit(p, { unit: 'u2', links: [link('c')] });

        expect(await store.countLinks(p)).toBe(3);
        expect(await store.countLinks(p, 'u1')).toBe(2);
        expect(await store.countLinks(p, 'u2')).toBe(1);
        expect(await store.countLinks(p, 'nowhere')).toBe(0);
      });

      it('removes the links a page names as removed', async () => {
        const p = freshPipeline();
        await commit(p, { links: [link('a'), link('b'), link('c')] });
        await commit(p, { removedLinks: ['a', 'c', 'never-linked'] });

        expect([...(await store.getLinks(p, ['a', 'b', 'c'])).keys()]).toEqual(['b']);
      });

      it('forgets every link of a pipeline and says how many', async () => {
        const p = freshPipeline();
        await commit(p, { unit: 'u1', links: [link('a'), link('b')] });
        await commit(p, { unit: 'u2', links: [link('c')] });

        expect(await store.deleteLinks(p)).toBe(3);
        expect(await store.countLinks(p)).toBe(0);
        expect(await store.deleteLinks(p)).toBe(0);
      });

      it('forgets everything kept for a pipeline, and nothing of another', async () => {
        const p = freshPipeline();
        const other = freshPipeline();
        for (const name of [p, other]) {
          await store.ensureUnit(name, 'u1', new Date());
          await commit(name, {
            unit: 'u1',
            links: [link('a')],
            cursor: { cursor: 'page-1', passId: null },
            deadLetters: [{ key: 'bad', error: 'refused', record: null }],
          });
        }

        expect(await store.forgetPipeline(p)).toBe(1);
        expect(await store.countLinks(p)).toBe(0);
        expect(await store.getCursor(p, 'u1')).toBeNull();
        expect(await store.listUnits(p)).toEqual([]);
        expect(await store.listDeadLetters({ pipeline: p })).toEqual([]);
        expect(await store.listRuns({ pipeline: p, limit: 10 })).toEqual([]);
        expect(await store.countLinks(other)).toBe(1);
        expect(await store.listUnits(other)).toHaveLength(1);
        expect(await store.listDeadLetters({ pipeline: other })).toHaveLength(1);
      });
    });

    describe('delete detection', () => {
      it('lists the links a full pass did not see, leaving out archived ones and other units', async () => {
        const p = freshPipeline();
        await commit(p, {
          links: ['a', 'b', 'c', 'd', 'e'].map((key) => link(key, { passId: 'pass-0' })),
        });
        await commit(p, { links: [link('incremental'), link('gone', { hash: 'archived' })] });
        await commit(p, { unit: 'other', links: [link('elsewhere', { passId: 'pass-0' })] });

        // The next pass rewrites `a` and only marks `b` and `c` as seen.
        await commit(p, {
          links: [link('a', { hash: 'changed', passId: 'pass-1' })],
          seen: { passId: 'pass-1', keys: ['b', 'c'] },
        });

        const unseen = await store.listUnseenLinks(p, 'u', 'pass-1', 100);
        expect(unseen.map((each) => each.key)).toEqual(['d', 'e', 'incremental']);
        expect(unseen[0]).toEqual(link('d'));
        const firstTwo = await store.listUnseenLinks(p, 'u', 'pass-1', 2);
        expect(firstTwo.map((each) => each.key)).toEqual(['d', 'e']);
      });

      it('keeps the pass mark of a link that an incremental write changes', async () => {
        const p = freshPipeline();
        await commit(p, {
          links: [link('a', { passId: 'pass-1' }), link('b', { passId: 'pass-1' })],
        });
        await commit(p, { links: [link('a', { hash: 'edited' })] });

        expect(await store.listUnseenLinks(p, 'u', 'pass-1', 10)).toEqual([]);
        expect((await store.listUnseenLinks(p, 'u', 'pass-2', 10)).map((l) => l.key)).toEqual([
          'a',
          'b',
        ]);
      });

      it('lists unseen links in code-point order of their keys', async () => {
        const p = freshPipeline();
        await commit(p, { links: ['b', 'a', 'B', '_', 'é', 'A1'].map((key) => link(key)) });

        const unseen = await store.listUnseenLinks(p, 'u', 'pass-1', 10);

        expect(unseen.map((each) => each.key)).toEqual(['A1', 'B', '_', 'a', 'b', 'é']);
      });
    });

    describe('cursors and pages', () => {
      it('has no cursor for a unit that never committed a page', async () => {
        expect(await store.getCursor(freshPipeline(), 'u')).toBeNull();
      });

      it('returns the cursor and pass id the last page committed', async () => {
        const p = freshPipeline();
        const cursor = { since: '2024-05-01T00:00:00.000Z', ids: [1, 2], nested: { ok: true } };
        await commit(p, { cursor: { cursor, passId: 'pass-7' } });
        expect(await store.getCursor(p, 'u')).toEqual({ cursor, passId: 'pass-7' });

        await commit(p, { cursor: { cursor: null, passId: null } });
        expect(await store.getCursor(p, 'u')).toEqual({ cursor: null, passId: null });

        await commit(p, { cursor: { cursor: 'opaque-token', passId: null } });
        expect(await store.getCursor(p, 'u')).toEqual({ cursor: 'opaque-token', passId: null });
      });

      it('leaves the cursor where it was when a page carries none', async () => {
        const p = freshPipeline();
        await commit(p, { cursor: { cursor: { page: 3 }, passId: null } });
        await commit(p, { links: [link('targeted')] });

        expect(await store.getCursor(p, 'u')).toEqual({ cursor: { page: 3 }, passId: null });
        expect(await store.countLinks(p)).toBe(1);
      });

      it('resets the cursors of one pipeline only and says how many', async () => {
        const p = freshPipeline();
        const other = freshPipeline();
        await commit(p, { unit: 'u1', cursor: { cursor: 1, passId: null } });
        await commit(p, { unit: 'u2', cursor: { cursor: 2, passId: 'pass' } });
        await commit(other, { unit: 'u1', cursor: { cursor: 9, passId: null } });

        expect(await store.resetCursors(p)).toBe(2);

        expect(await store.getCursor(p, 'u1')).toBeNull();
        expect(await store.getCursor(p, 'u2')).toBeNull();
        expect(await store.getCursor(other, 'u1')).toEqual({ cursor: 9, passId: null });
        expect(await store.resetCursors(p)).toBe(0);
      });

      it('names the pipeline when its stored cursor is corrupt', async () => {
        const p = freshPipeline('corrupt');
        await commit(p, { cursor: { cursor: { page: 1 }, passId: null } });
        await sql(`UPDATE cursors SET cursor = '{"page": 1' WHERE pipeline = '${p}'`);

        const error = await expectCode(store.getCursor(p, 'u'), 'CURSOR_INVALID');

        expect(error.message).toContain(p);
      });

      it('records the cumulative stats of the run with each page', async () => {
        const p = freshPipeline();
        const runId = await store.startRun(p, 'u', 'schedule');
        await commit(p, { runId, stats: { ...emptyStats(), read: 10, created: 10, pages: 1 } });
        await commit(p, { runId, stats: { ...emptyStats(), read: 15, created: 12, pages: 2 } });

        const run = await store.getRun(runId);

        expect(run?.stats).toEqual({ ...emptyStats(), read: 15, created: 12, pages: 2 });
        expect(run?.status).toBe('running');
      });

      it('leaves nothing of a page whose commit fails midway', async () => {
        const p = freshPipeline();
        const runId = await store.startRun(p, 'u', 'manual');
        await commit(p, {
          runId,
          cursor: { cursor: { page: 1 }, passId: 'pass-1' },
          links: [link('a', { passId: 'pass-1' }), link('b', { passId: 'pass-1' })],
          deadLetters: [{ key: 'old-failure', error: 'boom', record: null }],
          stats: { ...emptyStats(), read: 2, pages: 1 },
        });

        // The dead letter breaks a NOT NULL constraint after everything else was written.
        const broken: DeadLetterWrite = {
          key: 'x',
          error: null as unknown as string,
          record: null,
        };
        await expect(
          commit(p, {
            runId,
            cursor: { cursor: { page: 2 }, passId: 'pass-1' },
            links: [link('a', { hash: 'changed', passId: 'pass-1' }), link('c')],
            seen: { passId: 'pass-2', keys: ['b'] },
            removedLinks: ['b'],
            resolvedDeadLetters: ['old-failure'],
            deadLetters: [{ key: 'y', error: 'fine', record: null }, broken],
            stats: { ...emptyStats(), read: 99, pages: 2 },
          }),
        ).rejects.toThrow();

        expect(await store.getCursor(p, 'u')).toEqual({ cursor: { page: 1 }, passId: 'pass-1' });
        const links = await store.getLinks(p, ['a', 'b', 'c']);
        expect([...links.keys()].sort()).toEqual(['a', 'b']);
        expect(links.get('a')?.hash).toBe('hash-a');
        expect(await store.listUnseenLinks(p, 'u', 'pass-1', 10)).toEqual([]);
        expect((await store.listDeadLetters({ pipeline: p })).map((l) => l.key)).toEqual([
          'old-failure',
        ]);
        expect((await store.getRun(runId))?.stats.read).toBe(2);
      });

      it('commits the next page normally after a failed one', async () => {
        const p = freshPipeline();
        const broken: DeadLetterWrite = {
          key: 'x',
          error: null as unknown as string,
          record: null,
        };
        await expect(commit(p, { deadLetters: [broken] })).rejects.toThrow();

        await commit(p, { cursor: { cursor: 'after', passId: null }, links: [link('a')] });

        expect(await store.getCursor(p, 'u')).toEqual({ cursor: 'after', passId: null });
        expect(await store.countLinks(p)).toBe(1);
      });
    });

    describe('runs', () => {
      it('starts a run as running with empty stats and finishes it with its outcome', async () => {
        const p = freshPipeline();
        const before = Date.now();
        const runId = await store.startRun(p, 'u', 'keys');

        const started = await store.getRun(runId);
        expect(started).toMatchObject({
          id: runId,
          pipeline: p,
          unit: 'u',
          trigger: 'keys',
          status: 'running',
          finishedAt: null,
          stats: emptyStats(),
          error: null,
        });
        expect(started?.startedAt).toBeInstanceOf(Date);
        expect(started?.startedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(started?.startedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);

        const stats = { ...emptyStats(), read: 3, failed: 1, retries: 2, rateLimitWaitMs: 1500 };
        await store.finishRun(runId, { status: 'failed', stats, error: 'Destination said no' });

        const finished = await store.getRun(runId);
        expect(finished).toMatchObject({ status: 'failed', stats, error: 'Destination said no' });
        expect(finished?.finishedAt?.getTime()).toBeGreaterThanOrEqual(
          started?.startedAt.getTime() ?? 0,
        );
      });

      it('answers null for a run it never started', async () => {
        expect(await store.getRun(987_654_321)).toBeNull();
      });

      it('lists runs newest first, filtered by pipeline and unit, up to the limit', async () => {
        const p = freshPipeline();
        const first = await store.startRun(p, 'u1', 'schedule');
        const second = await store.startRun(p, 'u2', 'manual');
        const third = await store.startRun(p, 'u1', 'resume');
        await store.startRun(freshPipeline(), 'u1', 'manual');

        expect(second).toBeGreaterThan(first);
        expect(third).toBeGreaterThan(second);
        expect((await store.listRuns({ pipeline: p, limit: 10 })).map((r) => r.id)).toEqual([
          third,
          second,
          first,
        ]);
        expect(
          (await store.listRuns({ pipeline: p, unit: 'u1', limit: 10 })).map((r) => r.id),
        ).toEqual([third, first]);
        expect((await store.listRuns({ pipeline: p, limit: 1 })).map((r) => r.id)).toEqual([third]);
        const everything = await store.listRuns({ limit: 1000 });
        expect(everything.map((r) => r.id)).toEqual(expect.arrayContaining([first, second, third]));
      });

      it('lists the runs after an id oldest first, so a reader can follow the table', async () => {
        const p = freshPipeline();
        const first = await store.startRun(p, 'u1', 'manual');
        const second = await store.startRun(p, 'u1', 'manual');
        const third = await store.startRun(p, 'u2', 'manual');
        const runsAfter = (afterId: number, limit = 10) =>
          store.listRuns({ pipeline: p, afterId, limit }).then((rows) => rows.map((r) => r.id));
        expect(await runsAfter(first)).toEqual([second, third]);
        expect(await runsAfter(first - 1, 2)).toEqual([first, second]);
        expect(await runsAfter(third)).toEqual([]);
      });
    });

    describe('dead letters', () => {
      it('records a failure and counts another attempt each time the key fails again', async () => {
        const p = freshPipeline();
        await commit(p, { deadLetters: [{ key: 'k', error: 'first', record: '{"a":1}' }] });
        await commit(p, { deadLetters: [{ key: 'k', error: 'second', record: null }] });

        const letters = await store.listDeadLetters({ pipeline: p });

        expect(letters).toHaveLength(1);
        expect(letters[0]).toMatchObject({
          pipeline: p,
          unit: 'u',
          key: 'k',
          error: 'second',
          record: '{"a":1}',
          attempts: 2,
        });
        expect(letters[0]?.firstFailedAt).toBeInstanceOf(Date);
        expect(letters[0]!.lastFailedAt.getTime()).toBeGreaterThanOrEqual(
          letters[0]!.firstFailedAt.getTime(),
        );
      });

      it('counts each failure of a key named twice in one page', async () => {
        const p = freshPipeline();
        await commit(p, {
          deadLetters: [
            { key: 'k', error: 'first', record: '{"a":1}' },
            { key: 'k', error: 'second', record: null },
          ],
        });

        expect(await store.listDeadLetters({ pipeline: p })).toMatchObject([
          { key: 'k', error: 'second', record: '{"a":1}', attempts: 2 },
        ]);
      });

      it('forgets a dead letter once its key is written successfully', async () => {
        const p = freshPipeline();
        await commit(p, {
          deadLetters: [
            { key: 'a', error: 'x', record: null },
            { key: 'b', error: 'y', record: null },
          ],
        });
        await commit(p, { links: [link('a')], resolvedDeadLetters: ['a'] });

        expect((await store.listDeadLetters({ pipeline: p })).map((l) => l.key)).toEqual(['b']);
      });

      it('lists dead letters by pipeline and unit, ordered by unit and key', async () => {
        const p = freshPipeline();
        await commit(p, { unit: 'u2', deadLetters: [{ key: 'z', error: 'e', record: null }] });
        await commit(p, {
          unit: 'u1',
          deadLetters: [
            { key: 'b', error: 'e', record: null },
            { key: 'a', error: 'e', record: null },
          ],
        });

        const all = await store.listDeadLetters({ pipeline: p });
        expect(all.map((l) => `${l.unit}/${l.key}`)).toEqual(['u1/a', 'u1/b', 'u2/z']);
        const u2 = await store.listDeadLetters({ pipeline: p, unit: 'u2' });
        expect(u2.map((l) => l.key)).toEqual(['z']);
        const everywhere = await store.listDeadLetters({});
        expect(everywhere.filter((l) => l.pipeline === p)).toHaveLength(3);
      });
    });

    describe('units', () => {
      it('creates a unit once and leaves an existing one as it is', async () => {
        const p = freshPipeline();
        const first = new Date('2030-01-01T00:00:00.000Z');
        await store.ensureUnit(p, 'u', first);
        await store.ensureUnit(p, 'u', new Date('2031-01-01T00:00:00.000Z'));

        expect(await store.getUnit(p, 'u')).toEqual({
          pipeline: p,
          unit: 'u',
          nextRunAt: first,
          paused: false,
          pausedReason: null,
          syncRequested: false,
          requestedKeys: null,
          lastRunId: null,
          leaseOwner: null,
          leaseSince: null,
          leaseExpiresAt: null,
        });
      });

      it('answers null for a unit it does not know', async () => {
        expect(await store.getUnit(freshPipeline(), 'u')).toBeNull();
      });

      it('updates only the fields a patch names', async () => {
        const p = freshPipeline();
        await store.ensureUnit(p, 'u', new Date(1000));
        const runId = await store.startRun(p, 'u', 'manual');

        await store.updateUnit(p, 'u', {
          paused: true,
          pausedReason: 'Re-authorize Notion',
          lastRunId: runId,
        });
        expect(await store.getUnit(p, 'u')).toMatchObject({
          nextRunAt: new Date(1000),
          paused: true,
          pausedReason: 'Re-authorize Notion',
          lastRunId: runId,
          syncRequested: false,
        });

        await store.updateUnit(p, 'u', {
          nextRunAt: null,
          paused: false,
          pausedReason: null,
          syncRequested: true,
          requestedKeys: ['x', 'y'],
        });
        expect(await store.getUnit(p, 'u')).toMatchObject({
          nextRunAt: null,
          paused: false,
          pausedReason: null,
          syncRequested: true,
          requestedKeys: ['x', 'y'],
          lastRunId: runId,
        });

        await store.updateUnit(p, 'u', {});
        expect((await store.getUnit(p, 'u'))?.requestedKeys).toEqual(['x', 'y']);
      });

      it('refuses to update a unit it does not know', async () => {
        const p = freshPipeline();
        const error = await expectCode(store.updateUnit(p, 'ghost', { paused: true }), 'NOT_FOUND');
        expect(error.message).toContain('ghost');
      });

      it('lists the units of a pipeline, or of all pipelines, in order', async () => {
        const p = freshPipeline();
        const other = freshPipeline();
        await store.ensureUnit(p, 'b', new Date(0));
        await store.ensureUnit(p, 'a', new Date(0));
        await store.ensureUnit(other, 'a', new Date(0));

        expect((await store.listUnits(p)).map((u) => u.unit)).toEqual(['a', 'b']);
        const all = (await store.listUnits()).filter(
          (u) => u.pipeline === p || u.pipeline === other,
        );
        expect(all.map((u) => `${u.pipeline}/${u.unit}`)).toEqual([
          `${p}/a`,
          `${p}/b`,
          `${other}/a`,
        ]);
      });
    });

    describe('sync requests', () => {
      it('accumulates the keys of targeted requests until the run clears them', async () => {
        const p = freshPipeline();
        await store.ensureUnit(p, 'u', new Date(0));

        await store.requestSync(p, 'u', ['a', 'b']);
        await store.requestSync(p, 'u', ['b', 'c']);
        expect(await store.getUnit(p, 'u')).toMatchObject({
          syncRequested: true,
          requestedKeys: ['a', 'b', 'c'],
        });

        await store.updateUnit(p, 'u', { syncRequested: false, requestedKeys: null });
        await store.requestSync(p, 'u', ['d']);
        expect(await store.getUnit(p, 'u')).toMatchObject({
          syncRequested: true,
          requestedKeys: ['d'],
        });
      });

      it('lets a whole-unit request win over any keys, before or after', async () => {
        const p = freshPipeline();
        await store.ensureUnit(p, 'u', new Date(0));

        await store.requestSync(p, 'u', ['a']);
        await store.requestSync(p, 'u', null);
        expect(await store.getUnit(p, 'u')).toMatchObject({
          syncRequested: true,
          requestedKeys: null,
        });

        await store.requestSync(p, 'u', ['b']);
        expect(await store.getUnit(p, 'u')).toMatchObject({
          syncRequested: true,
          requestedKeys: null,
        });
      });

      it('loses no keys when requests arrive at the same time', async () => {
        const p = freshPipeline();
        await store.ensureUnit(p, 'u', new Date(0));
        const keys = Array.from({ length: 12 }, (_, index) => `k${String(index).padStart(2, '0')}`);

        await Promise.all(keys.map((key) => store.requestSync(p, 'u', [key])));

        expect([...((await store.getUnit(p, 'u'))?.requestedKeys ?? [])].sort()).toEqual(keys);
      });

      it('refuses a request for a unit it does not know', async () => {
        await expectCode(store.requestSync(freshPipeline(), 'ghost', null), 'NOT_FOUND');
      });
    });

    describeLeaseConformance({
      store: () => store,
      freshPipeline,
      commit: (pipeline, changes) => commit(pipeline, changes),
      expectCode,
    });

    describeLinkCompareConformance({
      store: () => store,
      freshPipeline,
      commit: (pipeline, changes) => commit(pipeline, changes),
    });

    describe('secrets', () => {
      it('returns a stored secret, replaces it, and forgets it when deleted', async () => {
        const name = `${freshPipeline('secret')}.token`;
        expect(await store.getSecret(name)).toBeNull();

        await store.putSecret(name, 'first-value');
        expect(await store.getSecret(name)).toBe('first-value');
        await store.putSecret(name, 'second ✓ value');
        expect(await store.getSecret(name)).toBe('second ✓ value');

        await store.deleteSecret(name);
        expect(await store.getSecret(name)).toBeNull();
        await store.deleteSecret(name);
      });

      it('never writes a secret in plaintext', async () => {
        const name = `${freshPipeline('secret')}.token`;
        const value = 'ntn_plaintext-must-not-appear-12345';
        await store.putSecret(name, value);

        const rows = await sql(`SELECT name, sealed FROM secrets WHERE name = '${name}'`);

        expect(rows).toHaveLength(1);
        const sealed = String(rows[0]?.sealed);
        expect(sealed).not.toContain(value);
        expect(sealed).not.toContain(Buffer.from(value).toString('base64').slice(0, 16));
        expect(sealed.length).toBeGreaterThan(value.length);
      });

      it('refuses to reveal a secret to a store opened with another key', async () => {
        const name = `${freshPipeline('secret')}.token`;
        await store.putSecret(name, 'top secret');
        const intruder = await openStore({ secretKey: new Uint8Array(32).fill(0xee) });

        await expectCode(intruder.getSecret(name), 'SECRET_INVALID');
      });

      it('explains how to set a key when the store has none', async () => {
        vi.stubEnv('KEEPSYNC_SECRET_KEY', '');
        const keyless = await openStore({ secretKey: null });

        const error = await expectCode(keyless.putSecret('any', 'value'), 'SECRET_INVALID');
        expect(error.message).toContain('KEEPSYNC_SECRET_KEY');
      });
    });

    describe('migrations', () => {
      it('re-opens an existing store without migrating twice or losing data', async () => {
        const p = freshPipeline();
        await commit(p, { links: [link('survivor')], cursor: { cursor: 5, passId: null } });

        const again = await openStore();
        const andAgain = await openStore();

        expect((await again.getLinks(p, ['survivor'])).has('survivor')).toBe(true);
        expect(await andAgain.getCursor(p, 'u')).toEqual({ cursor: 5, passId: null });
        const applied = await sql('SELECT id FROM keepsync_migrations ORDER BY id');
        expect(applied.map((row) => row.id)).toEqual(
          sqliteMigrations.map((migration) => migration.id).sort(),
        );
      });
      it('refuses a store migrated by a newer keepsync, naming the unknown migration', async () => {
        await sql(
          "INSERT INTO keepsync_migrations (id, applied_ms) VALUES ('9999-from-the-future', 0)",
        );
        await expect(openStore()).rejects.toThrow(
          /does not know \(9999-from-the-future\); upgrade keepsync/,
        );
        await sql("DELETE FROM keepsync_migrations WHERE id = '9999-from-the-future'");
      });
    });

    describe('pipeline isolation', () => {
      it('never mixes the links, cursors, dead letters or units of two pipelines', async () => {
        const a = freshPipeline('tenant-a');
        const b = freshPipeline('tenant-b');
        for (const p of [a, b]) {
          await store.ensureUnit(p, 'u', new Date(0));
          await commit(p, {
            cursor: { cursor: `${p}-cursor`, passId: null },
            links: [link('shared', { destId: `${p}-dest` }), link(`only-${p}`)],
            deadLetters: [{ key: 'shared', error: `${p} failed`, record: null }],
          });
        }

        expect((await store.getLinks(b, ['shared', `only-${a}`])).get('shared')?.destId).toBe(
          `${b}-dest`,
        );
        expect((await store.getLinks(b, [`only-${a}`])).size).toBe(0);

        await commit(a, { removedLinks: ['shared'], resolvedDeadLetters: ['shared'] });
        await store.resetCursors(a);
        await store.deleteLinks(a);
        await store.requestSync(a, 'u', ['shared']);

        expect(await store.countLinks(b)).toBe(2);
        expect(await store.getCursor(b, 'u')).toEqual({ cursor: `${b}-cursor`, passId: null });
        expect((await store.listDeadLetters({ pipeline: b })).map((l) => l.error)).toEqual([
          `${b} failed`,
        ]);
        expect(await store.getUnit(b, 'u')).toMatchObject({ syncRequested: false });
        expect(await store.listUnseenLinks(b, 'u', 'pass', 10)).toHaveLength(2);
      });
    });
  });
}
