import { Cron } from 'croner';
import { KeepsyncError } from '../model/index.js';
import type { UnitState } from '../store/index.js';
import { QUOTA_WAIT, type ScheduleOptions } from '../sync/index.js';

/** Anything scheduled: a pipeline or another runnable task. */
export interface Scheduled {
  readonly name: string;
  readonly schedule: ScheduleOptions;
}

const DEFAULT_INTERVAL_MS = 30 * 60_000;

/** When a unit of this pipeline runs next, counted from `from`. */
export function nextRunAfter(pipeline: Scheduled, from: Date): Date {
  const { cron, everyMs } = pipeline.schedule;
  if (cron) {
    const next = parseCron(cron, pipeline.name).nextRun(from);
    if (!next) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `The cron schedule of pipeline ${pipeline.name} never fires again`,
      );
    }
    return next;
  }
  return new Date(from.getTime() + (everyMs ?? DEFAULT_INTERVAL_MS));
}

/** After a failed run: retry sooner than the schedule, backing off 5 s, 10 s, 20 s... */
export function retryAfterFailure(
  pipeline: Scheduled,
  from: Date,
  consecutiveFailures: number,
): Date {
  const backoffMs = Math.min(5_000 * 2 ** Math.max(0, consecutiveFailures - 1), 15 * 60_000);
  const scheduled = nextRunAfter(pipeline, from);
  return new Date(Math.min(scheduled.getTime(), from.getTime() + backoffMs));
}

export function validateSchedule(pipeline: Scheduled): void {
  if (pipeline.schedule.cron) parseCron(pipeline.schedule.cron, pipeline.name);
}

function parseCron(expression: string, pipeline: string): Cron {
  try {
    return new Cron(expression, { paused: true });
  } catch (error) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected pipeline ${pipeline} \`schedule.cron\` to be a cron expression, got ${JSON.stringify(expression)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * A unit whose service quota ran out waits, unpaused, until the quota resets (its next run):
 * the reason stays on the row meanwhile, and a forced `run --once` skips it too.
 */
export function isWaitingForQuota(
  state: Pick<UnitState, 'paused' | 'pausedReason' | 'nextRunAt'>,
  now: Date,
): boolean {
  return (
    !state.paused &&
    state.pausedReason?.startsWith(QUOTA_WAIT) === true &&
    state.nextRunAt !== null &&
    state.nextRunAt > now
  );
}
