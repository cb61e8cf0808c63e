import { describe, expect, it } from 'vitest';
import type { PageCommit, Store } from '../../src/store/index.js';

export interface LeaseSuiteContext {
  /** The suite's store, opened in its beforeAll. */
  readonly store: () => Store;
  readonly freshPipeline: () => string;
  /** Commits a page of unit `u` (unless `changes.unit` says otherwise); returns its run id. */
  readonly commit: (
    pipeline: string,
    changes?: Partial<PageCommit> & { unit?: string },
  ) => Promise<number>;
  readonly expectCode: (promise: Promise<unknown>, code: string) => Promise<Error>;
}

/** Leases and fencing, shared by every Store backend (part of the store conformance suite). */
export function describeLeaseConformance(context: LeaseSuiteContext): void {
  const { freshPipeline, commit, expectCode } = context;
  const t0 = new Date('2030-01-01T00:00:00.000Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);

  describe('leases', () => {
    it('refuses a second owner while the lease is held, and renews it for its owner', async () => {
      const store = context.store();
      const p = freshPipeline();
      await store.ensureUnit(p, 'u', t0);

      const first = await store.acquireLease(p, 'u', 'worker-1', 10_000, t0);
      expect(first).toMatchObject({ owner: 'worker-1', crashedRuns: [] });
      expect(await store.acquireLease(p, 'u', 'worker-2', 10_000, at(5_000))).toBeNull();
      expect(await store.acquireLease(p, 'u', 'worker-1', 10_000, at(8_000))).toEqual(first);
      expect(await store.getUnit(p, 'u')).toMatchObject({
        leaseOwner: 'worker-1',
        leaseSince: t0,
        leaseExpiresAt: at(18_000),
      });
      // Still held at 12 s, since the renewal moved the expiry to 18 s.
      expect(await store.acquireLease(p, 'u', 'worker-2', 10_000, at(12_000))).toBeNull();
    });

    it('lets another owner take a lease once it has expired, under a new epoch', async () => {
      const store = context.store();
      const p = freshPipeline();
      await store.ensureUnit(p, 'u', t0);
      const first = await store.acquireLease(p, 'u', 'worker-1', 10_000, t0);

      const second = await store.acquireLease(p, 'u', 'worker-2', 10_000, at(10_000));
      expect(second?.owner).toBe('worker-2');
      expect(second!.epoch).toBeGreaterThan(first!.epoch);
      expect(await store.getUnit(p, 'u')).toMatchObject({
        leaseOwner: 'worker-2',
        leaseSince: at(10_000),
      });
      expect(await store.acquireLease(p, 'u', 'worker-1', 10_000, at(11_000))).toBeNull();
      expect(await store.renewLease(p, 'u', first!, 10_000, at(11_000))).toBe(false);
      expect(await store.renewLease(p, 'u', second!, 10_000, at(11_000))).toBe(true);
      expect((await store.getUnit(p, 'u'))?.leaseExpiresAt).toEqual(at(21_000));
    });

    it('frees a lease released by its owner, and ignores a release by anyone else', async () => {
      const store = context.store();
      const p = freshPipeline();
      await store.ensureUnit(p, 'u', t0);
      const first = await store.acquireLease(p, 'u', 'worker-1', 10_000, t0);

      await store.releaseLease(p, 'u', 'worker-2');
      expect((await store.getUnit(p, 'u'))?.leaseOwner).toBe('worker-1');

      await store.releaseLease(p, 'u', 'worker-1');
      expect(await store.getUnit(p, 'u')).toMatchObject({
        leaseOwner: null,
        leaseSince: null,
        leaseExpiresAt: null,
      });
      // The same owner taking it again is a new lease: the old token no longer renews it.
      const again = await store.acquireLease(p, 'u', 'worker-1', 10_000, at(1_000));
      expect(again!.epoch).toBeGreaterThan(first!.epoch);
      expect(await store.renewLease(p, 'u', first!, 10_000, at(2_000))).toBe(false);
    });

    it('gives a free lease to exactly one of several owners racing for it', async () => {
      const store = context.store();
      const p = freshPipeline();
      await store.ensureUnit(p, 'u', t0);
      const owners = Array.from({ length: 8 }, (_, index) => `worker-${index}`);

      const won = await Promise.all(
        owners.map((owner) => store.acquireLease(p, 'u', owner, 10_000, t0)),
      );

      const winners = won.filter((grant) => grant !== null);
      expect(winners).toHaveLength(1);
      expect((await store.getUnit(p, 'u'))?.leaseOwner).toBe(winners[0]!.owner);
    });

    it('grants no lease on a unit it does not know', async () => {
      const store = context.store();
      expect(await store.acquireLease(freshPipeline(), 'ghost', 'worker-1', 10_000, t0)).toBeNull();
    });

    it('marks the runs an expired holder left at running as crashed when its lease is taken', async () => {
      const store = context.store();
      const p = freshPipeline();
      await store.ensureUnit(p, 'u', t0);
      await store.acquireLease(p, 'u', 'worker-1', 10_000, t0);
      const stale = await store.startRun(p, 'u', 'schedule');
      const done = await store.startRun(p, 'u', 'schedule');
      await store.finishRun(done, {
        status: 'succeeded',
        stats: (await store.getRun(done))!.stats,
        error: null,
      });
      const other = await store.startRun(p, 'other-unit', 'schedule');

      const grant = await store.acquireLease(p, 'u', 'worker-2', 10_000, at(15_000));

      expect(grant?.crashedRuns).toEqual([stale]);
      const run = await store.getRun(stale);
      expect(run).toMatchObject({ status: 'crashed', finishedAt: at(15_000) });
      expect(run?.error).toMatch(/worker-1 stopped renewing its lease .*taken over by worker-2/);
      expect((await store.getRun(done))?.status).toBe('succeeded');
      expect((await store.getRun(other))?.status).toBe('running');
    });
  });

  describe('fencing', () => {
    it('commits a page whose lease still holds, and refuses one whose lease was taken over', async () => {
      const store = context.store();
      const p = freshPipeline();
      await store.ensureUnit(p, 'u', t0);
      const old = (await store.acquireLease(p, 'u', 'worker-1', 10_000, t0))!;
      await commit(p, { lease: old, cursor: { cursor: 1, passId: null } });
      expect((await store.getCursor(p, 'u'))?.cursor).toBe(1);

      const taker = (await store.acquireLease(p, 'u', 'worker-2', 10_000, at(10_000)))!;
      const error = await expectCode(
        commit(p, {
          lease: old,
          cursor: { cursor: 99, passId: null },
          links: [{ key: 'k', destId: 'd', hash: 'h', sourceUpdatedMs: null }],
        }),
        'LEASE_LOST',
      );

      expect(error.message).toMatch(/no longer this engine's \(now held by worker-2\)/);
      expect((await store.getCursor(p, 'u'))?.cursor).toBe(1);
      expect(await store.getLinks(p, ['k'])).toEqual(new Map());
      await commit(p, { lease: taker, cursor: { cursor: 2, passId: null } });
      expect((await store.getCursor(p, 'u'))?.cursor).toBe(2);
    });

    it('refuses a commit under a released lease, even when its owner holds a new one', async () => {
      const store = context.store();
      const p = freshPipeline();
      await store.ensureUnit(p, 'u', t0);
      const old = (await store.acquireLease(p, 'u', 'worker-1', 10_000, t0))!;
      await store.releaseLease(p, 'u', 'worker-1');
      await expectCode(commit(p, { lease: old }), 'LEASE_LOST');
      await store.acquireLease(p, 'u', 'worker-1', 10_000, at(1_000));
      await expectCode(commit(p, { lease: old }), 'LEASE_LOST');
    });

    it('commits an expired lease that nobody has taken yet: the take-over waits for it', async () => {
      const store = context.store();
      const p = freshPipeline();
      await store.ensureUnit(p, 'u', t0);
      const lease = (await store.acquireLease(p, 'u', 'worker-1', 1_000, t0))!;
      await commit(p, { lease, cursor: { cursor: 5, passId: null } });
      expect((await store.getCursor(p, 'u'))?.cursor).toBe(5);
    });
  });
}
