import { describeError, KeepsyncError } from '../model/index.js';
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
  const loseIt = (error: Error) => {
    if (lost.signal.aborted) return;
    logger.warn({ pipeline, unit }, error.message);
    lost.abort(error);
  };
  const renew = setInterval(
    () => {
      store
        .renewLease(pipeline, unit, token, ttlMs, new Date())
        .then(async (held) => {
          if (!held) loseIt(await takenError(store, pipeline, unit));
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
    store: leasedStore(store, { pipeline, unit, token, onLost: loseIt }),
    async release() {
      clearInterval(renew);
      await store.releaseLease(pipeline, unit, owner);
    },
  };
}

/** A renewal found the lease gone: LEASE_LOST, naming who holds it now. */
async function takenError(store: Store, pipeline: string, unit: string): Promise<KeepsyncError> {
  const holder = await store.getUnit(pipeline, unit).then(
    (state) => state?.leaseOwner ?? null,
    () => null,
  );
  return new KeepsyncError(
    'LEASE_LOST',
    `The lease on unit ${unit} of ${pipeline} was taken over by ${holder ?? 'another engine, which has released it since'}; ` +
      'this run stops after the page in flight, without committing another',
  );
}
