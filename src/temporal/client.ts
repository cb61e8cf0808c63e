import type { Client, WorkflowHandle } from '@temporalio/client';
import type { RunnableTask } from '../engine/index.js';
import { pipelineTask } from '../engine/index.js';
import { KeepsyncError } from '../model/index.js';
import type { Pipeline } from '../sync/index.js';
import {
  normalSchedule,
  type RunActivityOptions,
  SIGNALS,
  STATUS_QUERY,
  UNIT_WORKFLOW,
  type UnitStatus,
  type UnitWorkflowInput,
  unitWorkflowId,
} from './protocol.js';

export interface StartUnitWorkflowsOptions {
  client: Client;
  /** One task queue per deployment: every worker on it loads the same config. */
  taskQueue: string;
  pipelines?: readonly Pipeline[] | undefined;
  tasks?: readonly RunnableTask[] | undefined;
  activity?: RunActivityOptions | undefined;
  /**
   * Cancels the running unit workflows on this task queue whose (pipeline, unit) the config
   * no longer has. @default true
   */
  stopRemoved?: boolean | undefined;
}

export interface StartUnitWorkflowsResult {
  /** Workflow ids of every configured unit, started now or already running. */
  readonly ensured: readonly string[];
  /** Workflow ids cancelled because their unit left the config. */
  readonly stopped: readonly string[];
}

/**
 * Starts one workflow per (pipeline, unit), idempotently: a running workflow is kept and gets
 * the configured schedule by signal (a schedule it already has changes nothing).
 */
export async function startUnitWorkflows(
  options: StartUnitWorkflowsOptions,
): Promise<StartUnitWorkflowsResult> {
  const { client, taskQueue } = options;
  const tasks = [...(options.pipelines ?? []).map(pipelineTask), ...(options.tasks ?? [])];
  const ensured: string[] = [];
  for (const task of tasks) {
    for (const unit of await task.units()) {
      const workflowId = unitWorkflowId(task.name, unit.id);
      const schedule = normalSchedule(task.schedule);
      const input: UnitWorkflowInput = {
        pipeline: task.name,
        unit: unit.id,
        schedule,
        activity: options.activity,
      };
      const handle = await client.workflow.start(UNIT_WORKFLOW, {
        workflowId,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      await handle.signal(SIGNALS.setSchedule, schedule);
      ensured.push(workflowId);
    }
  }
  const stopped: string[] = [];
  if (options.stopRemoved ?? true) {
    const wanted = new Set(ensured);
    const running = client.workflow.list({
      query: `WorkflowType = '${UNIT_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replaceAll("'", "\\'")}'`,
    });
    for await (const execution of running) {
      if (wanted.has(execution.workflowId)) continue;
      await client.workflow.getHandle(execution.workflowId).cancel();
      stopped.push(execution.workflowId);
    }
  }
  return { ensured, stopped };
}

export interface UnitRef {
  readonly pipeline: string;
  readonly unit: string;
}

export function unitHandle(client: Client, ref: UnitRef): WorkflowHandle {
  return client.workflow.getHandle(unitWorkflowId(ref.pipeline, ref.unit));
}

/** Wakes the unit now; with keys, a targeted run of only those keys. */
export async function syncUnitNow(
  client: Client,
  ref: UnitRef,
  keys?: readonly string[],
): Promise<void> {
  await unitHandle(client, ref).signal(SIGNALS.syncNow, keys ? [...keys] : []);
}

/** Pauses the unit; a run in flight stops after the page it is writing is committed. */
export async function pauseUnit(client: Client, ref: UnitRef, reason?: string): Promise<void> {
  await unitHandle(client, ref).signal(SIGNALS.pause, ...(reason ? [reason] : []));
}

/** Resumes the unit with a catch-up run. */
export async function resumeUnit(client: Client, ref: UnitRef): Promise<void> {
  await unitHandle(client, ref).signal(SIGNALS.resume);
}

export interface StatusQueryOptions {
  /** A query waits for a worker; this bounds the wait. @default 10_000 */
  timeoutMs?: number | undefined;
}

/** The unit workflow's status, or an error naming the workflow when no worker answers in time. */
export async function unitStatus(
  client: Client,
  ref: UnitRef,
  options: StatusQueryOptions = {},
): Promise<UnitStatus> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const handle = unitHandle(client, ref);
  try {
    return await client.connection.withDeadline(Date.now() + timeoutMs, () =>
      handle.query<UnitStatus>(STATUS_QUERY),
    );
  } catch (error) {
    if ((error as { code?: number }).code === 4 /* gRPC DEADLINE_EXCEEDED */) {
      throw new KeepsyncError(
        'OFFLINE',
        `No worker answered the status query of workflow ${handle.workflowId} within ${timeoutMs} ms; is a keepsync worker running on its task queue?`,
        { cause: error },
      );
    }
    throw error;
  }
}
