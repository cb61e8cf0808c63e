import type { RunTrigger, Store } from '../store/index.js';
import {
  type Logger,
  type Pipeline,
  type RunProgress,
  type RunResult,
  runPipeline,
  type ScheduleOptions,
  type SourceUnit,
} from '../sync/index.js';
import { verifyPipeline } from '../verify/index.js';

export interface TaskRunOptions {
  readonly store: Store;
  readonly unit: string;
  readonly trigger: RunTrigger;
  /** A targeted run (sync-now for named keys); tasks without keys may run in full. */
  readonly keys?: readonly string[] | undefined;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly onProgress?: ((progress: RunProgress) => void) | undefined;
  /** Off: the next page is read only once this one is committed (see `RunOptions`). */
  readonly readAhead?: boolean | undefined;
}

/**
 * What the embedded engine schedules: anything with a name, a schedule, units and a run of
 * one unit that records itself in the store's runs. Pipelines are one kind; two-way tasks
 * (`twoWayRunnable`) another. Each (name, unit) gets its status row, lease and schedule.
 */
export interface RunnableTask {
  readonly name: string;
  readonly schedule: ScheduleOptions;
  units(): readonly SourceUnit[] | Promise<readonly SourceUnit[]>;
  run(options: TaskRunOptions): Promise<RunResult>;
  /** Periodic drift verification, run after a scheduled run when due. */
  readonly verify?: PeriodicVerify | undefined;
}

export interface PeriodicVerify {
  readonly everyMs: number;
  run(options: TaskRunOptions): Promise<RunResult>;
}

/** A pipeline as a runnable task: its source's units, each run by runPipeline. */
export function pipelineTask(pipeline: Pipeline): RunnableTask {
  return {
    name: pipeline.name,
    schedule: pipeline.schedule,
    units: () => pipeline.source.units(),
    run: (options) => runPipeline({ ...options, pipeline }),
    verify: pipeline.verify
      ? {
          everyMs: pipeline.verify.everyMs,
          run: (options) =>
            verifyPipeline({ ...options, pipeline, repair: pipeline.verify?.repair }),
        }
      : undefined,
  };
}

export function isRunnableTask(value: Pipeline | RunnableTask): value is RunnableTask {
  return typeof (value as RunnableTask).run === 'function';
}
