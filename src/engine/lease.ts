import { describeError } from '../model/index.js';
import { type LeaseToken, leasedStore, type Store } from '../store/index.js';
import type { Logger } from '../sync/index.js';

/** A unit's lease while this engine runs it. */
export interface HeldLease {
  readonly token: LeaseToken;
  /** Aborts once the lease is known to be another engine's (renewal or a fenced commit failed). */
  readonly lost: AbortSignal;
  /** The store for the run: every page commit carries the token, so a taken lease stops it. */
  readonly store: Store;
  /** Stops renewing and frees the lease (if still ours). */
  release(): Promise<void>;
}

export interface LeaseOptions {
  readonly store: Store;
  readonly pipeline: string;
  readonly unit: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly logger: Logger;
}

/** Takes the unit's lease and keeps renewing it; null when another engine holds it. */
export async function takeLease(options: LeaseOptions): Promise<HeldLease | null> {
  const { store, pipeline, unit, owner, ttlMs, logger } = options;
  const grant = await store.acquireLease(pipeline, unit, owner, ttlMs, new Date());
  if (!grant) return null;
  if (grant.crashedRuns.length > 0) {
    logger.warn(
      { pipeline, unit, runs: grant.crashedRuns },
      `took over an expired lease; marked ${grant.crashedRuns.length} stale run(s) as crashed`,
    );
  }
  const token: LeaseToken = { owner: grant.owner, epoch: grant.epoch };
  const lost = new AbortController();
  const loseIt = (reason: string) => {
    if (lost.signal.aborted) return;
    logger.warn({ pipeline, unit }, reason);
    lost.abort(new Error(reason));
  };
  const renew = setInterval(
    () => {
      store
        .renewLease(pipeline, unit, token, ttlMs, new Date())
        .then((held) => {
          if (!held) loseIt('lease lost to another engine; stopping after the page in flight');
        })
        .catch((error: unknown) => {
          logger.warn({ pipeline, unit }, `lease renewal failed: ${describeError(error)}`);
        });
    },
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  return {
    token,
    lost: lost.signal,
    store: leasedStore(store, { pipeline, unit, token, onLost: (error) => loseIt(error.message) }),
    async release() {
      clearInterval(renew);
      await store.releaseLease(pipeline, unit, owner);
    },
  };
}
