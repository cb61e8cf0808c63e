import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyStats, leasedStore, type Store } from '../../src/store/index.js';
import {
  type PairState,
  TWO_WAY_UNIT,
  type TwoWayStore,
  twoWayStore,
} from '../../src/twoway/index.js';

function pair(
  id: string,
  leftKey: string | null,
  rightKey: string | null,
  extra: Partial<PairState> = {},
): PairState {
  return {
    id,
    leftKey,
    rightKey,
    base: { left: { title: 'T', n: 1 }, right: { name: 'T', count: 1 } },
    leftSeen: null,
    rightSeen: null,
    pending: null,
    inflight: null,
    ...extra,
  };
}

const nothing = { pairs: [], removedPairs: [], conflicts: [], resolvedConflicts: [] };

/** The behaviour every two-way store backend shares; each test uses its own task name. */
export function describeTwoWayStoreConformance(
  name: string,
  open: () => Promise<Store>,
  cleanup: () => Promise<void>,
): void {
  describe(`${name} two-way store conformance`, () => {
    let store: Store;
    let tw: TwoWayStore;
    let tasks = 0;
    const task = () => `task-${++tasks}`;

    beforeAll(async () => {
      store = await open();
      tw = twoWayStore(store);
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('keeps pairs with their base, seen snapshots and pending side, and replaces them by id', async () => {
      const t = task();
      const at = new Date('2024-03-04T05:06:07.000Z');
      await tw.commit({
        ...nothing,
        task: t,
        pairs: [
          pair('p1', 'l1', 'r1', {
            base: { left: { when: at as never, tags: ['a'], nested: { x: null } }, right: {} },
            leftSeen: { values: { title: 'seen' }, updatedMs: 42 },
            rightSeen: { values: {}, updatedMs: null, deleted: true },
          }),
          pair('p2', 'l2', 'r2', { pending: 'right', inflight: { right: { name: ['a', null] } } }),
          pair('p3', null, 'r3'),
        ],
      });
      const loaded = new Map((await tw.loadPairs(t)).map((p) => [p.id, p]));
      expect(loaded.size).toBe(3);
      expect(loaded.get('p1')).toEqual(
        pair('p1', 'l1', 'r1', {
          base: {
            left: { when: '2024-03-04T05:06:07.000Z' as never, tags: ['a'], nested: { x: null } },
            right: {},
          },
          leftSeen: { values: { title: 'seen' }, updatedMs: 42 },
          rightSeen: { values: {}, updatedMs: null, deleted: true },
        }),
      );
      expect(loaded.get('p2')!.pending).toBe('right');
      expect(loaded.get('p2')!.inflight).toEqual({ right: { name: ['a', null] } });
      expect(loaded.get('p3')).toMatchObject({ leftKey: null, rightKey: 'r3' });

      await tw.commit({
        ...nothing,
        task: t,
        pairs: [pair('p2', 'l2', 'r2')],
        removedPairs: ['p1'],
      });
      const after = await tw.loadPairs(t);
      expect(after.map((p) => p.id).sort()).toEqual(['p2', 'p3']);
      expect(after.find((p) => p.id === 'p2')!.pending).toBeNull();
      expect(await tw.countPairs(t)).toBe(2);
      expect(await tw.loadPairs(task())).toEqual([]);
    });

    it('allows several detached pairs but never two pairs on one key of a side', async () => {
      const t = task();
      await tw.commit({
        ...nothing,
        task: t,
        pairs: [pair('a', null, 'r1'), pair('b', null, 'r2'), pair('c', 'l3', 'r3')],
      });
      await expect(
        tw.commit({ ...nothing, task: t, pairs: [pair('d', 'l3', 'r9')], cursors: { left: 99 } }),
      ).rejects.toThrow();
      // The failed commit left nothing behind: no pair, no cursor.
      expect(await tw.countPairs(t)).toBe(3);
      expect(await tw.getCursors(t)).toEqual({ left: null, right: null });
      // A removal and a new pair on the same key in one commit is a replacement.
      await tw.commit({ ...nothing, task: t, pairs: [pair('d', 'l3', 'r9')], removedPairs: ['c'] });
      expect((await tw.loadPairs(t)).find((p) => p.leftKey === 'l3')!.id).toBe('d');
    });

    it('loads for keys only the pairs of those keys (and key~n), plus pairs with state of their own', async () => {
      const t = task();
      const seen = { values: { title: 'S' }, updatedMs: 5 };
      await tw.commit({
        ...nothing,
        task: t,
        pairs: [
          pair('quiet', 'q1', 'q1'),
          pair('by-left', 'a', 'x'),
          pair('by-right', 'b', 'y'),
          pair('near', 'c', 'y~2'),
          pair('pending', 'p', 'p', { pending: 'right' }),
          pair('seen', 's', 's', { leftSeen: seen }),
          pair('inflight', 'i', 'i', { inflight: { left: { title: ['T2'] } } }),
          pair('detached', 'd', null),
          pair('conflicted', 'k', 'k'),
          pair('other', 'yz', 'yz'),
        ],
        conflicts: [
          {
            pairId: 'conflicted',
            leftKey: 'k',
            rightKey: 'k',
            field: 'title',
            leftValue: 'L',
            rightValue: 'R',
            baseValue: null,
          },
        ],
      });
      const loaded = await tw.loadPairsForKeys(t, { left: ['a', 'zz'], right: ['y'] });
      expect(loaded.map((p) => p.id).sort()).toEqual(
        [
          'by-left',
          'by-right',
          'conflicted',
          'detached',
          'inflight',
          'near',
          'pending',
          'seen',
        ].sort(),
      );
      expect(loaded.find((p) => p.id === 'seen')!.leftSeen).toEqual(seen);
      expect(await tw.loadPairsForKeys(task(), { left: ['a'], right: [] })).toEqual([]);
    });

    it('moves each side’s cursor only when a commit says so', async () => {
      const t = task();
      expect(await tw.getCursors(t)).toEqual({ left: null, right: null });
      await tw.commit({ ...nothing, task: t, cursors: { left: { v: '2024', k: 'a' } } });
      await tw.commit({ ...nothing, task: t, cursors: { right: 7 } });
      await tw.commit({ ...nothing, task: t });
      expect(await tw.getCursors(t)).toEqual({ left: { v: '2024', k: 'a' }, right: 7 });
    });

    it('records a conflict once per pair and field, refreshes its values, and decides it once', async () => {
      const t = task();
      const conflict = {
        pairId: 'p1',
        leftKey: 'l1',
        rightKey: 'r1',
        field: 'title',
        leftValue: 'L',
        rightValue: { text: 'R' },
        baseValue: null,
      };
      await tw.commit({ ...nothing, task: t, conflicts: [conflict] });
      await tw.commit({ ...nothing, task: t, conflicts: [{ ...conflict, leftValue: 'L2' }] });
      const open = await tw.listConflicts({ task: t });
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({
        task: t,
        pairId: 'p1',
        field: 'title',
        leftValue: 'L2',
        rightValue: { text: 'R' },
        baseValue: null,
        state: 'open',
        decision: null,
        decidedAt: null,
      });
      const id = open[0]!.id;
      expect((await tw.getConflict(id))!.detectedAt).toBeInstanceOf(Date);

      const decided = await tw.decideConflict(id, { take: 'value', value: { text: 'V' } });
      expect(decided).toMatchObject({
        state: 'decided',
        decision: { take: 'value', value: { text: 'V' } },
      });
      expect(decided.decidedAt).toBeInstanceOf(Date);
      await expect(tw.decideConflict(id, { take: 'left' })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });
      await expect(tw.decideConflict(987654, { take: 'left' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(tw.decideConflict(id, { take: 'sideways' } as never)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });

      await tw.commit({ ...nothing, task: t, resolvedConflicts: [id] });
      expect(await tw.listConflicts({ task: t })).toEqual([]);
      expect((await tw.listConflicts({ task: t, states: ['resolved'] }))[0]!.id).toBe(id);
      // A new conflict on the same pair and field after a resolved one is a new row.
      await tw.commit({ ...nothing, task: t, conflicts: [conflict] });
      const next = await tw.listConflicts({ task: t });
      expect(next).toHaveLength(1);
      expect(next[0]!.id).not.toBe(id);
      expect((await tw.listConflicts({ states: ['open'] })).some((row) => row.task === t)).toBe(
        true,
      );
    });

    it('keeps the run’s stats with the commit and forgets a task on reset', async () => {
      const t = task();
      const runId = await store.startRun(t, 'pairs', 'manual');
      await tw.commit({
        ...nothing,
        task: t,
        pairs: [pair('p', 'l', 'r')],
        cursors: { left: 1, right: 2 },
        run: { id: runId, stats: { ...emptyStats(), created: 3 } },
      });
      expect((await store.getRun(runId))!.stats.created).toBe(3);
      await tw.resetTask(t);
      expect(await tw.countPairs(t)).toBe(0);
      expect(await tw.getCursors(t)).toEqual({ left: null, right: null });
    });

    it('proves the lease in each commit of a leased run: a taken lease commits nothing', async () => {
      const t = task();
      await store.ensureUnit(t, TWO_WAY_UNIT, new Date());
      const grant = await store.acquireLease(t, TWO_WAY_UNIT, 'A', 50, new Date());
      const lost: Error[] = [];
      const leased = leasedStore(store, {
        pipeline: t,
        unit: TWO_WAY_UNIT,
        token: { owner: 'A', epoch: grant!.epoch },
        onLost: (error) => lost.push(error),
      });
      await twoWayStore(leased).commit({ ...nothing, task: t, pairs: [pair('a', 'l1', 'r1')] });
      // A's lease runs out and B takes it: A's next commit must change nothing.
      await store.acquireLease(t, TWO_WAY_UNIT, 'B', 60_000, new Date(Date.now() + 1000));
      await expect(
        twoWayStore(leased).commit({
          ...nothing,
          task: t,
          pairs: [pair('b', 'l2', 'r2')],
          cursors: { left: 5 },
        }),
      ).rejects.toMatchObject({ code: 'LEASE_LOST' });
      expect(lost).toHaveLength(1);
      expect((await tw.loadPairs(t)).map((each) => each.id)).toEqual(['a']);
      expect(await tw.getCursors(t)).toEqual({ left: null, right: null });
      // A store opened directly (no lease) is not fenced.
      await tw.commit({ ...nothing, task: t, pairs: [pair('c', 'l3', 'r3')] });
      expect(await tw.countPairs(t)).toBe(2);
    });
  });
}
