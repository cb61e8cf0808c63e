import type { Store } from '../store/index.js';
import type { Logger, Pipeline, RunResult } from '../sync/index.js';
import { type VerifyResult, verifyPipeline } from '../verify/index.js';
import { registerUnits } from './control.js';
import type { LeaseBusy } from './engine-options.js';
import { takeLease } from './lease.js';

/** Runs looked at to find a unit's last verification. */
const RECENT_RUNS = 50;

/**
 * True when the unit's last verification started more than `everyMs` ago (or none is
 * among its recent runs), so the engine verifies it after this run.
 */
export async function isVerifyDue(
  store: Store,
  pipeline: string,
  unit: string,
  everyMs: number,
  now: Date,
): Promise<boolean> {
  const runs = await store.listRuns({ pipeline, unit, limit: RECENT_RUNS });
  const last = runs.find((run) => run.trigger === 'verify');
  return !last || now.getTime() - last.startedAt.getTime() >= everyMs;
}

export interface VerifyUnitsOptions {
  readonly store: Store;
  readonly pipelines: readonly Pipeline[];
  readonly owner: string;
  readonly leaseTtlMs: number;
  readonly repair: boolean;
  readonly logger: Logger;
  readonly signal?: AbortSignal | undefined;
  /** A unit another engine is running: it is not verified now. */
  readonly onLeaseBusy?: ((busy: LeaseBusy) => void) | undefined;
}

/**
 * Verifies every unit of the pipelines (`keepsync verify`), each under its lease so no run
 * of the unit writes while it is compared.
 */
export async function verifyUnits(options: VerifyUnitsOptions): Promise<VerifyResult[]> {
  const { store, logger } = options;
  await registerUnits(store, options.pipelines);
  const results: VerifyResult[] = [];
  for (const pipeline of options.pipelines) {
    for (const { id: unit } of await pipeline.source.units()) {
      if (options.signal?.aborted) return results;
      const lease = await takeLease({
        store,
        pipeline: pipeline.name,
        unit,
        owner: options.owner,
        ttlMs: options.leaseTtlMs,
        logger,
      });
      if (!lease) {
        options.onLeaseBusy?.(await leaseBusy(store, pipeline.name, unit));
        continue;
      }
      try {
        const signal = options.signal ? AbortSignal.any([options.signal, lease.lost]) : lease.lost;
        results.push(
          await verifyPipeline({
            store: lease.store,
            pipeline,
            unit,
            repair: options.repair,
            signal,
            logger,
          }),
        );
      } finally {
        await lease.release();
      }
    }
  }
  return results;
}

/** Who holds a unit's lease, for a unit this engine could not take. */
export async function leaseBusy(store: Store, pipeline: string, unit: string): Promise<LeaseBusy> {
  const state = await store.getUnit(pipeline, unit);
  return {
    pipeline,
    unit,
    owner: state?.leaseOwner ?? null,
    since: state?.leaseSince ?? null,
    expiresAt: state?.leaseExpiresAt ?? null,
  };
}

/** One log line per verification, with its counts. */
export function logVerification(logger: Logger, result: RunResult): void {
  logger[result.status === 'succeeded' ? 'info' : 'error'](
    {
      pipeline: result.pipeline,
      unit: result.unit,
      runId: result.runId,
      drift: result.stats.drift,
    },
    `verification ${result.status}${result.error ? `: ${result.error}` : ''}`,
  );
}
