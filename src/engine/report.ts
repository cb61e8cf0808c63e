import type { DriftCounts, RunRow, RunStats, Store } from '../store/index.js';
import { listStatus, type UnitStatus } from './control.js';
import { isWaitingForQuota } from './schedule.js';

/**
 * What a unit is doing, most urgent first: `running` (its lease is live and its latest run
 * has not finished), `stale-lease` (a holder stopped renewing), `leased` (held, not running
 * yet), `paused`, `waiting-for-quota` (a service quota ran out; it runs again at the reset),
 * `sync-requested`, `failing` (its last run failed; it retries on its backoff) or `scheduled`.
 */
export type UnitPhase =
  | 'running'
  | 'stale-lease'
  | 'leased'
  | 'paused'
  | 'waiting-for-quota'
  | 'sync-requested'
  | 'failing'
  | 'scheduled';

/** One unit as `status` and the dashboard show it. */
export interface UnitReport extends UnitStatus {
  readonly phase: UnitPhase;
  /** The run in progress (its stats as of its last committed page), when one is running. */
  readonly running: RunRow | null;
  readonly staleLease: boolean;
  readonly cursor: unknown;
  /** The unit's latest verification (`keepsync verify`, or a pipeline's `verify` option). */
  readonly lastVerify: RunRow | null;
}

/** Runs looked at for a unit's latest verification. */
const VERIFY_LOOKBACK = 50;

/** Every unit in the store with its phase, the run in progress and its cursor. */
export async function reportUnits(store: Store, now: Date): Promise<UnitReport[]> {
  const rows = await listStatus(store);
  return Promise.all(
    rows.map(async (row) => {
      const leased = row.leaseOwner !== null && row.leaseExpiresAt !== null;
      const staleLease = leased && row.leaseExpiresAt! <= now;
      const recent = await store.listRuns({
        pipeline: row.pipeline,
        unit: row.unit,
        limit: VERIFY_LOOKBACK,
      });
      const latest = recent[0];
      const running = leased && !staleLease && latest?.status === 'running' ? latest : null;
      const cursor = (await store.getCursor(row.pipeline, row.unit))?.cursor ?? null;
      const lastVerify = recent.find((run) => run.trigger === 'verify') ?? null;
      const phase = phaseOf(row, running, staleLease, now);
      return { ...row, phase, running, staleLease, cursor, lastVerify };
    }),
  );
}

function phaseOf(
  row: UnitStatus,
  running: RunRow | null,
  staleLease: boolean,
  now: Date,
): UnitPhase {
  if (running) return 'running';
  if (staleLease) return 'stale-lease';
  if (row.leaseOwner !== null) return 'leased';
  if (row.paused) return 'paused';
  if (isWaitingForQuota(row, now)) return 'waiting-for-quota';
  if (row.syncRequested) return 'sync-requested';
  if (row.lastRun?.status === 'failed') return 'failing';
  return 'scheduled';
}

/** What a run wrote, in plain words; zero counts are left out. */
export function describeStats(stats: RunStats): string {
  const parts = (
    [
      [stats.created, 'created'],
      [stats.updated, 'updated'],
      [stats.unchanged, 'unchanged'],
      [stats.deleted, 'deleted'],
      [stats.failed, 'failed'],
    ] as const
  )
    .filter(([count]) => count > 0)
    .map(([count, word]) => `${count} ${word}`);
  if (stats.drift) parts.push(describeDrift(stats.drift));
  return parts.length ? parts.join(', ') : 'nothing';
}

/** A verification's findings in plain words. */
export function describeDrift(drift: DriftCounts): string {
  return `drift: ${drift.missing} missing, ${drift.changed} changed, ${drift.extra} extra, ${drift.repaired} repaired`;
}
