import type { UnitStatePatch } from '../store/index.js';
import type { Logger, RunResult } from '../sync/index.js';
import { nextRunAfter, retryAfterFailure, type Scheduled } from './schedule.js';

/**
 * What a finished run changes in its unit's row: a quota wait lifts itself at the reset, a
 * pause pauses, an aborted run is due again at once, a targeted run leaves the schedule, and
 * any other run sets the next one (sooner after `failures` failed runs in a row).
 */
export function unitPatchAfterRun(
  task: Scheduled,
  result: RunResult,
  { targeted, failures, now }: { targeted: boolean; failures: number; now: Date },
): UnitStatePatch {
  // A quota wait lifts itself: the unit stays unpaused and is due when the quota resets.
  if (result.resumesAt) return { pausedReason: result.pausedReason, nextRunAt: result.resumesAt };
  if (result.status === 'paused') return { paused: true, pausedReason: result.pausedReason };
  if (result.status === 'aborted') return { nextRunAt: now };
  if (targeted) return {};
  return {
    pausedReason: null,
    nextRunAt: failures > 0 ? retryAfterFailure(task, now, failures) : nextRunAfter(task, now),
  };
}

/** Logs a finished run once: a failure at `error`, a pause at `warn`, others at `info`. */
export function logRun(logger: Logger, result: RunResult): void {
  const log = result.status === 'failed' ? 'error' : result.status === 'paused' ? 'warn' : 'info';
  logger[log](
    {
      pipeline: result.pipeline,
      unit: result.unit,
      runId: result.runId,
      status: result.status,
      stats: result.stats,
    },
    `run ${result.status}${result.error ? `: ${result.pausedReason ?? result.error}` : ''}`,
  );
}
