// What the unit workflow, its activities and its clients agree on. Loaded inside the workflow
// sandbox too, so it imports nothing: no Node built-ins, no other keepsync folder.

/** The workflow type name operators see in the Temporal UI and `temporal workflow list`. */
export const UNIT_WORKFLOW = 'keepsyncUnit';

/** Signal, query and activity names: part of the workflow's shape, never renamed. */
export const SIGNALS = {
  syncNow: 'syncNow',
  pause: 'pause',
  resume: 'resume',
  setSchedule: 'setSchedule',
} as const;
export const STATUS_QUERY = 'status';
export const RUN_UNIT_ACTIVITY = 'keepsync.runUnit';
export const NEXT_RUN_ACTIVITY = 'keepsync.nextRunAt';

/** Above this many pending keys a sync-now becomes a whole-unit run: history stays small. */
export const MAX_PENDING_KEYS = 1000;

/** The interval of a pipeline without a schedule, as in the embedded engine. */
export const DEFAULT_EVERY_MS = 30 * 60_000;

export interface UnitSchedule {
  readonly everyMs?: number | undefined;
  readonly cron?: string | undefined;
}

export interface UnitStats {
  readonly read: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly deleted: number;
  readonly failed: number;
  readonly refused: number;
  readonly pages: number;
}

export interface LastRun {
  readonly runId: number | null;
  readonly status: 'succeeded' | 'failed' | 'paused' | 'aborted' | 'waiting-for-quota';
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The keys of a targeted run; null = the whole unit. */
  readonly keys: readonly string[] | null;
}

/** Everything the `status` query answers; carried whole across continue-as-new. */
export interface UnitStatus {
  readonly pipeline: string;
  readonly unit: string;
  readonly schedule: UnitSchedule;
  readonly paused: boolean;
  readonly pausedReason: string | null;
  /** Runs finished by this workflow since it started, over all its continue-as-new runs. */
  readonly runs: number;
  readonly running: boolean;
  readonly lastRun: LastRun | null;
  readonly lastStats: UnitStats | null;
  readonly lastError: string | null;
  readonly nextRunAt: string | null;
  /**
   * A service quota ran out (YouTube's daily units): the unit waits, unpaused, until this
   * reset time, then runs by itself. lastError says which quota.
   */
  readonly waitingForQuotaUntil: string | null;
  /** A sync-now is waiting (for the run in flight to end, or for resume). */
  readonly syncRequested: boolean;
  /** The keys it asked for; null = the whole unit. */
  readonly pendingKeys: readonly string[] | null;
}

/** How long the run activity may go without a heartbeat, and how often it is retried. */
export interface RunActivityOptions {
  /** @default 30_000 */
  readonly heartbeatTimeoutMs?: number | undefined;
  /** Attempts of a failed run before the workflow records the failure. @default 3 */
  readonly maximumAttempts?: number | undefined;
  /** Longest one run may take. @default 6 hours */
  readonly startToCloseTimeoutMs?: number | undefined;
}

export interface UnitWorkflowInput {
  readonly pipeline: string;
  readonly unit: string;
  readonly schedule: UnitSchedule;
  readonly activity?: RunActivityOptions | undefined;
  /** Set by continue-as-new only. */
  readonly carried?: UnitStatus | undefined;
}

export interface RunUnitInput {
  readonly pipeline: string;
  readonly unit: string;
  readonly keys: readonly string[] | null;
  readonly trigger: 'schedule' | 'manual' | 'keys' | 'resume';
}

export type RunUnitResult =
  | {
      readonly runId: number;
      readonly status: 'succeeded' | 'aborted';
      readonly stats: UnitStats;
    }
  | {
      readonly runId: number;
      readonly status: 'waiting-for-quota';
      readonly stats: UnitStats;
      /** When the quota resets: the workflow sleeps until then. */
      readonly resumesAt: string;
      readonly reason: string;
    };

/** The error types the activities raise; the workflow branches on them. */
export const AUTH_ERROR = 'AuthError';
export const CONFIG_ERROR = 'ConfigError';
export const RUN_FAILED = 'RunFailed';

/** keepsync:<pipeline>:<unit>, the id operators type in `temporal workflow signal`. */
export function unitWorkflowId(pipeline: string, unit: string): string {
  return `keepsync:${pipeline}:${unit}`;
}

/** Signal payloads come from people typing JSON: anything that is not a key list means none. */
export function keysFromPayload(payload: unknown): string[] | null {
  const list = Array.isArray(payload) ? payload : typeof payload === 'string' ? [payload] : [];
  const keys = list.filter((key): key is string => typeof key === 'string' && key.length > 0);
  return keys.length > 0 ? keys : null;
}

/** A schedule from a signal, or null when the payload is not one (the signal is ignored). */
export function scheduleFromPayload(payload: unknown): UnitSchedule | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { everyMs, cron } = payload as { everyMs?: unknown; cron?: unknown };
  if (typeof cron === 'string' && cron.trim().length > 0) return { cron: cron.trim() };
  if (typeof everyMs === 'number' && Number.isFinite(everyMs) && everyMs >= 1000) {
    return { everyMs: Math.round(everyMs) };
  }
  return null;
}

/** The schedule as the workflow keeps it: a cron, or an interval (the default one if none). */
export function normalSchedule(schedule: UnitSchedule): UnitSchedule {
  return schedule.cron
    ? { cron: schedule.cron }
    : { everyMs: schedule.everyMs ?? DEFAULT_EVERY_MS };
}

export function sameSchedule(a: UnitSchedule, b: UnitSchedule): boolean {
  const left = normalSchedule(a);
  const right = normalSchedule(b);
  return left.cron === right.cron && left.everyMs === right.everyMs;
}

/** A reason from a signal payload such as `pause "maintenance"`; anything else means none. */
export function reasonFromPayload(payload: unknown): string | null {
  return typeof payload === 'string' && payload.trim().length > 0
    ? payload.trim().slice(0, 500)
    : null;
}
