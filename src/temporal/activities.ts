import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  type HeldLease,
  nextRunAfter,
  pipelineTask,
  type RunnableTask,
  takeLease,
} from '../engine/index.js';
import { isKeepsyncError } from '../model/index.js';
import type { RunStats, Store } from '../store/index.js';
import { type Logger, type Pipeline, type RunResult, silentLogger } from '../sync/index.js';
import {
  AUTH_ERROR,
  CONFIG_ERROR,
  NEXT_RUN_ACTIVITY,
  RUN_FAILED,
  RUN_UNIT_ACTIVITY,
  type RunUnitInput,
  type RunUnitResult,
  type UnitSchedule,
  type UnitStats,
} from './protocol.js';

export interface UnitActivitiesOptions {
  /** SQLite for one worker; PostgreSQL when several workers share the work. */
  store: Store;
  pipelines?: readonly Pipeline[] | undefined;
  /** Other runnable tasks, e.g. two-way tasks (`twoWayRunnable`). */
  tasks?: readonly RunnableTask[] | undefined;
  /**
   * The store lease a run holds, as in the embedded engine: a retry never runs beside an
   * attempt that lost contact but still runs. @default 60_000
   */
  leaseTtlMs?: number | undefined;
  logger?: Logger | undefined;
}

export type UnitActivities = ReturnType<typeof createUnitActivities>;

/**
 * The activities of the unit workflow. `runUnit` is one run of the core (read a page, write
 * it, commit cursor + links + hashes in one store transaction, next page): the records stay in
 * the worker and the store, history sees only stats. A retried or resumed run starts from the
 * last committed page.
 */
export function createUnitActivities(options: UnitActivitiesOptions) {
  const tasks = new Map<string, RunnableTask>();
  for (const task of [...(options.pipelines ?? []).map(pipelineTask), ...(options.tasks ?? [])]) {
    tasks.set(task.name, task);
  }
  const leaseTtlMs = options.leaseTtlMs ?? 60_000;
  const logger = options.logger ?? silentLogger;
  const { store } = options;

  async function runUnit(input: RunUnitInput): Promise<RunUnitResult> {
    const context = Context.current();
    const task = tasks.get(input.pipeline);
    if (!task) {
      throw ApplicationFailure.nonRetryable(
        `This worker has no pipeline or task named ${JSON.stringify(input.pipeline)}; every worker on a task queue must load the same config`,
        CONFIG_ERROR,
      );
    }
    const units = await task.units();
    if (!units.some((unit) => unit.id === input.unit)) {
      throw ApplicationFailure.nonRetryable(
        `Pipeline ${input.pipeline} has no unit ${JSON.stringify(input.unit)} any more; stop its workflow (keepsync temporal start reconciles)`,
        CONFIG_ERROR,
      );
    }
    await store.ensureUnit(input.pipeline, input.unit, new Date());
    const owner = `temporal:${context.info.workflowExecution?.workflowId ?? context.info.activityId}:${context.info.attempt}:${randomUUID().slice(0, 8)}`;
    const lease = await waitForLease(input, owner, context);
    const heartbeatMs = Math.max(
      200,
      Math.min(leaseTtlMs, context.info.heartbeatTimeoutMs ?? leaseTtlMs) / 3,
    );
    // A slow page must not look like a dead worker; the lease renews itself (and fences
    // every page commit), the heartbeat keeps Temporal from timing the attempt out.
    const beat = setInterval(() => context.heartbeat(), heartbeatMs);
    let result: RunResult;
    try {
      result = await task.run({
        store: lease.store,
        unit: input.unit,
        trigger: input.trigger,
        keys: input.keys ?? undefined,
        signal: AbortSignal.any([context.cancellationSignal, lease.lost]),
        logger,
        // The Temporal engine's bound: a killed worker's run re-reads at most one page.
        readAhead: false,
        onProgress: (progress) => {
          context.heartbeat({ pages: progress.stats.pages, read: progress.stats.read });
        },
      });
      await store.updateUnit(input.pipeline, input.unit, { lastRunId: result.runId });
    } finally {
      clearInterval(beat);
      await lease.release();
    }
    return outcome(result, context);
  }

  async function waitForLease(
    input: RunUnitInput,
    owner: string,
    context: Context,
  ): Promise<HeldLease> {
    for (;;) {
      const held = await takeLease({
        store,
        pipeline: input.pipeline,
        unit: input.unit,
        owner,
        ttlMs: leaseTtlMs,
        logger,
      });
      if (held) return held;
      // A killed attempt's lease runs out; until then this attempt waits, heartbeating.
      context.heartbeat({ waitingForLease: true });
      await sleep(Math.min(1000, leaseTtlMs / 4), undefined, {
        signal: context.cancellationSignal,
      });
    }
  }

  async function nextRunAt(schedule: UnitSchedule, from: string): Promise<string> {
    try {
      return nextRunAfter({ name: 'workflow schedule', schedule }, new Date(from)).toISOString();
    } catch (error) {
      if (isKeepsyncError(error) && error.code === 'CONFIG_INVALID') {
        throw ApplicationFailure.nonRetryable(error.message, CONFIG_ERROR);
      }
      throw error;
    }
  }

  return { [RUN_UNIT_ACTIVITY]: runUnit, [NEXT_RUN_ACTIVITY]: nextRunAt };
}

function outcome(result: RunResult, context: Context): RunUnitResult {
  const stats = unitStats(result.stats);
  switch (result.status) {
    case 'succeeded':
      return { runId: result.runId, status: 'succeeded', stats };
    case 'paused':
      // A used-up quota is no auth problem: the workflow sleeps until it resets, unpaused.
      if (result.resumesAt) {
        return {
          runId: result.runId,
          status: 'waiting-for-quota',
          stats,
          resumesAt: result.resumesAt.toISOString(),
          reason: result.pausedReason ?? result.error ?? 'quota used up',
        };
      }
      throw ApplicationFailure.create({
        message: result.pausedReason ?? result.error ?? 'authorization failed',
        type: AUTH_ERROR,
        nonRetryable: true,
        details: [{ runId: result.runId, stats }],
      });
    case 'aborted':
    case 'lease-lost':
      // Cancelled (pause, workflow stopped, worker shutting down): the SDK reports it as such.
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      throw ApplicationFailure.retryable(
        'the run lost its lease; it resumes from its last committed page',
        RUN_FAILED,
      );
    default:
      throw ApplicationFailure.create({
        message: result.error ?? 'run failed',
        // A config error fails the same way on every attempt: the workflow records it at once.
        type: result.errorCode === 'CONFIG_INVALID' ? CONFIG_ERROR : RUN_FAILED,
        nonRetryable: result.errorCode === 'CONFIG_INVALID',
        details: [{ runId: result.runId, stats }],
      });
  }
}

function unitStats(stats: RunStats): RunUnitResult['stats'] {
  const { read, created, updated, unchanged, deleted, failed, refused, pages } = stats;
  return { read, created, updated, unchanged, deleted, failed, refused, pages } satisfies UnitStats;
}
