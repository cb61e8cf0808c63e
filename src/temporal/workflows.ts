// The entity workflow of one (pipeline, unit). Runs in Temporal's deterministic sandbox: it
// imports only @temporalio/workflow and the dependency-free protocol, and never sees a record
// (the run activity reads, writes and commits pages in the store; history holds only stats).
import {
  ActivityCancellationType,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  AUTH_ERROR,
  CONFIG_ERROR,
  DEFAULT_EVERY_MS,
  keysFromPayload,
  type LastRun,
  MAX_PENDING_KEYS,
  NEXT_RUN_ACTIVITY,
  normalSchedule,
  RUN_UNIT_ACTIVITY,
  type RunUnitInput,
  type RunUnitResult,
  reasonFromPayload,
  SIGNALS,
  STATUS_QUERY,
  sameSchedule,
  scheduleFromPayload,
  type UnitSchedule,
  type UnitStats,
  type UnitStatus,
  type UnitWorkflowInput,
} from './protocol.js';

export { keepsyncOAuth } from './oauth-workflow.js';

// Handlers take unknown payloads: a handler that throws poisons the workflow task for good.
export const syncNowSignal = defineSignal<unknown[]>(SIGNALS.syncNow);
export const pauseSignal = defineSignal<unknown[]>(SIGNALS.pause);
export const resumeSignal = defineSignal<unknown[]>(SIGNALS.resume);
export const setScheduleSignal = defineSignal<unknown[]>(SIGNALS.setSchedule);
export const statusQuery = defineQuery<UnitStatus>(STATUS_QUERY);

type RunActivities = Record<string, (input: RunUnitInput) => Promise<RunUnitResult>>;
type PlanActivities = Record<string, (schedule: UnitSchedule, from: string) => Promise<string>>;

const PAUSED_BY_SIGNAL = 'paused by signal';

/** One (pipeline, unit) forever: run now, then on schedule or on syncNow, until stopped. */
export async function keepsyncUnit(input: UnitWorkflowInput): Promise<void> {
  const carried = input.carried;
  let schedule: UnitSchedule = normalSchedule(carried?.schedule ?? input.schedule);
  let paused = carried?.paused ?? false;
  let pausedReason = carried?.pausedReason ?? null;
  let runs = carried?.runs ?? 0;
  let lastRun: LastRun | null = carried?.lastRun ?? null;
  let lastStats: UnitStats | null = carried?.lastStats ?? null;
  let lastError = carried?.lastError ?? null;
  let nextRunAt = carried?.nextRunAt ?? null;
  // Histories carried before quota waits existed have no such field.
  let waitingForQuotaUntil = carried?.waitingForQuotaUntil ?? null;
  // A new workflow runs at once (durable-sync waited a whole interval first).
  let syncRequested = carried ? carried.syncRequested : true;
  let pendingKeys: string[] | null = carried?.pendingKeys ? [...carried.pendingKeys] : null;
  let resumed = false;
  let scheduleChanged = false;
  let running = false;
  let runScope: CancellationScope | undefined;

  const requestSync = (keys: string[] | null) => {
    if (keys === null || (syncRequested && pendingKeys === null)) {
      pendingKeys = null;
    } else {
      const merged = new Set([...(syncRequested ? (pendingKeys ?? []) : []), ...keys]);
      pendingKeys = merged.size > MAX_PENDING_KEYS ? null : [...merged];
    }
    syncRequested = true;
  };
  const status = (): UnitStatus => ({
    pipeline: input.pipeline,
    unit: input.unit,
    schedule,
    paused,
    pausedReason,
    runs,
    running,
    lastRun,
    lastStats,
    lastError,
    nextRunAt,
    waitingForQuotaUntil,
    syncRequested,
    pendingKeys,
  });

  setHandler(syncNowSignal, (...payload: unknown[]) => {
    requestSync(keysFromPayload(payload.flat()));
  });
  setHandler(pauseSignal, (...payload: unknown[]) => {
    paused = true;
    pausedReason = reasonFromPayload(payload[0]) ?? PAUSED_BY_SIGNAL;
    // The run in flight stops after its current page is committed.
    runScope?.cancel();
  });
  setHandler(resumeSignal, () => {
    if (!paused) return;
    paused = false;
    pausedReason = null;
    resumed = true;
    requestSync(null);
  });
  setHandler(setScheduleSignal, (...payload: unknown[]) => {
    const next = scheduleFromPayload(payload[0]);
    if (next === null) {
      log.warn('setSchedule ignored: expected {"everyMs": >= 1000} or {"cron": "..."}');
      return;
    }
    if (sameSchedule(next, schedule)) return;
    schedule = next;
    scheduleChanged = true;
  });
  setHandler(statusQuery, status);

  const options = input.activity ?? {};
  const activities = proxyActivities<RunActivities>({
    startToCloseTimeout: options.startToCloseTimeoutMs ?? 6 * 3_600_000,
    heartbeatTimeout: options.heartbeatTimeoutMs ?? 30_000,
    // The activity commits the page in flight before it acknowledges a cancel.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: options.maximumAttempts ?? 3,
      nonRetryableErrorTypes: [AUTH_ERROR, CONFIG_ERROR],
    },
  });
  const planning = proxyLocalActivities<PlanActivities>({
    startToCloseTimeout: 10_000,
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: [CONFIG_ERROR] },
  });
  const runUnit = activities[RUN_UNIT_ACTIVITY]!;
  const planNextRun = planning[NEXT_RUN_ACTIVITY]!;

  let plannable: UnitSchedule = schedule.cron ? { everyMs: DEFAULT_EVERY_MS } : schedule;
  const scheduleNext = async (): Promise<void> => {
    const now = new Date();
    if (schedule.cron) {
      try {
        nextRunAt = await planNextRun(schedule, now.toISOString());
        plannable = schedule;
        return;
      } catch (error) {
        // A cron that cannot be planned must not end the workflow: keep the last good schedule.
        lastError = `schedule ${JSON.stringify(schedule.cron)} rejected: ${describeFailure(error)}`;
        if (!sameSchedule(schedule, plannable)) {
          schedule = plannable;
          return scheduleNext();
        }
        // The last good cron failed to plan (no worker could): try again in a minute.
        nextRunAt = new Date(now.getTime() + 60_000).toISOString();
        return;
      }
    } else {
      plannable = schedule;
    }
    nextRunAt = new Date(now.getTime() + (schedule.everyMs ?? DEFAULT_EVERY_MS)).toISOString();
  };

  const runOnce = async (keys: string[] | null, trigger: RunUnitInput['trigger']) => {
    running = true;
    waitingForQuotaUntil = null;
    const startedAt = new Date().toISOString();
    let outcome: LastRun['status'] = 'failed';
    let runId: number | null = null;
    const scope = new CancellationScope();
    runScope = scope;
    try {
      const result = await scope.run(() =>
        runUnit({ pipeline: input.pipeline, unit: input.unit, keys, trigger }),
      );
      runId = result.runId;
      outcome = result.status;
      lastStats = result.stats;
      lastError = result.status === 'waiting-for-quota' ? result.reason : null;
      waitingForQuotaUntil = result.status === 'waiting-for-quota' ? result.resumesAt : null;
    } catch (error) {
      if (isCancellation(error)) {
        outcome = 'aborted';
      } else {
        lastError = describeFailure(error);
        if (hasFailureType(error, AUTH_ERROR)) {
          outcome = 'paused';
          paused = true;
          pausedReason = lastError;
        }
        log.warn(`run of ${input.pipeline}/${input.unit} ${outcome}: ${lastError}`);
      }
    } finally {
      runScope = undefined;
      running = false;
    }
    runs++;
    // Keys asked for by a run that a pause interrupted are asked for again.
    if (outcome === 'aborted' && keys) requestSync(keys);
    lastRun = { runId, status: outcome, startedAt, finishedAt: new Date().toISOString(), keys };
    if (waitingForQuotaUntil !== null && outcome === 'waiting-for-quota') {
      // The next run is the one at the reset, whole-unit: it covers any keys asked for.
      nextRunAt = waitingForQuotaUntil;
    } else if (keys === null || nextRunAt === null) {
      // A targeted run leaves the schedule alone; any other run counts as the scheduled one.
      await scheduleNext();
    }
  };

  for (;;) {
    if (paused) {
      await condition(() => !paused);
      continue;
    }
    if (scheduleChanged || nextRunAt === null) {
      scheduleChanged = false;
      if (!syncRequested) {
        await scheduleNext();
        continue;
      }
    }
    let keys: string[] | null = null;
    let trigger: RunUnitInput['trigger'] = 'schedule';
    if (syncRequested) {
      keys = pendingKeys;
      trigger = keys ? 'keys' : resumed ? 'resume' : 'manual';
      syncRequested = false;
      pendingKeys = null;
      resumed = false;
    } else {
      const waitMs = Date.parse(nextRunAt!) - Date.now();
      if (waitMs > 0) {
        const woke = await condition(() => syncRequested || paused || scheduleChanged, waitMs);
        if (woke) continue;
      }
    }
    await runOnce(keys, trigger);
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof keepsyncUnit>({ ...input, carried: status() });
    }
  }
}

/** The root cause's words, outermost wrapper ("Activity task failed") left out. */
function describeFailure(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 20; depth++) {
    const message = current.message.trim();
    if (message && message !== parts.at(-1)) parts.push(message);
    current = current.cause;
  }
  const meaningful = parts.filter((part) => !/^activity task (failed|timed out)$/i.test(part));
  return (meaningful.length > 0 ? meaningful : parts).join(' ← ') || 'unknown error';
}

function hasFailureType(error: unknown, type: string): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 20; depth++) {
    if (current instanceof ApplicationFailure && current.type === type) return true;
    current = current.cause;
  }
  return false;
}
