import { describeStats, reportUnits, type UnitReport } from '../engine/index.js';
import type { RunRow, RunStats, Store } from '../store/index.js';
import { listConflicts } from '../twoway/index.js';
import type { LiveProgress } from './live.js';

/** A pipeline or two-way task the dashboard shows. */
export interface DashboardTask {
  readonly name: string;
  readonly kind: 'pipeline' | 'two-way';
}

/** Finished runs per task in the charts. */
const CHART_RUNS = 40;
const LIST_LIMIT = 100;

export interface RunView {
  readonly id: number;
  readonly unit: string;
  readonly trigger: string;
  readonly status: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly durationMs: number | null;
  readonly stats: RunStats;
  readonly wrote: string;
  readonly error: string | null;
}

export interface UnitView {
  readonly unit: string;
  readonly phase: UnitReport['phase'];
  readonly pausedReason: string | null;
  readonly leaseOwner: string | null;
  readonly leaseSince: Date | null;
  readonly leaseExpiresAt: Date | null;
  readonly nextRunAt: Date | null;
  readonly syncRequested: boolean;
  readonly lastRun: RunView | null;
  /** The latest verification, whose `stats.drift` holds missing, changed, extra, repaired. */
  readonly lastVerify: RunView | null;
  readonly running: {
    readonly runId: number | null;
    readonly startedAt: Date | null;
    readonly stats: RunStats;
    readonly expectedTotal: number | null;
    readonly wrote: string;
  } | null;
}

export interface TaskView extends DashboardTask {
  readonly units: readonly UnitView[];
  /** The latest finished runs, oldest first (the charts' x axis). */
  readonly runs: readonly RunView[];
}

export interface Overview {
  readonly now: Date;
  /** The engine in this process (`run --dashboard`); null when the dashboard only reads. */
  readonly engine: string | null;
  readonly tasks: readonly TaskView[];
  readonly deadLetters: readonly {
    pipeline: string;
    unit: string;
    key: string;
    attempts: number;
    lastFailedAt: Date;
    error: string;
  }[];
  readonly conflicts: Awaited<ReturnType<typeof listConflicts>>;
}

function viewRun(run: RunRow): RunView {
  return {
    id: run.id,
    unit: run.unit,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
    stats: run.stats,
    wrote: describeStats(run.stats),
    error: run.error,
  };
}

function viewUnit(report: UnitReport, live: LiveProgress | undefined): UnitView {
  const progress = live?.get(report.pipeline, report.unit);
  const stats = progress?.stats ?? report.running?.stats;
  return {
    unit: report.unit,
    // This process's engine knows it is reading before its first page reaches the store.
    phase: progress ? 'running' : report.phase,
    pausedReason: report.pausedReason,
    leaseOwner: report.leaseOwner,
    leaseSince: report.leaseSince,
    leaseExpiresAt: report.leaseExpiresAt,
    nextRunAt: report.nextRunAt,
    syncRequested: report.syncRequested,
    lastRun: report.lastRun ? viewRun(report.lastRun) : null,
    lastVerify: report.lastVerify ? viewRun(report.lastVerify) : null,
    running: stats
      ? {
          runId: report.running?.id ?? null,
          startedAt: report.running?.startedAt ?? null,
          stats: { ...stats },
          expectedTotal: progress?.expectedTotal ?? null,
          wrote: describeStats(stats),
        }
      : null,
  };
}

/** Everything the page shows, from the store (and this process's live progress). */
export async function buildOverview(
  store: Store,
  tasks: readonly DashboardTask[],
  live: LiveProgress | undefined,
  engine: string | null,
): Promise<Overview> {
  const now = new Date();
  const reports = await reportUnits(store, now);
  const names = new Set(tasks.map((task) => task.name));
  const views = await Promise.all(
    tasks.map(async (task) => {
      const recent = await store.listRuns({ pipeline: task.name, limit: CHART_RUNS + 8 });
      const finished = recent.filter((run) => run.finishedAt !== null).slice(0, CHART_RUNS);
      return {
        ...task,
        units: reports
          .filter((report) => report.pipeline === task.name)
          .map((report) => viewUnit(report, live)),
        runs: finished.reverse().map(viewRun),
      };
    }),
  );
  const letters = (await store.listDeadLetters({}))
    .filter((letter) => names.has(letter.pipeline))
    .slice(0, LIST_LIMIT);
  const twoWay = tasks.filter((task) => task.kind === 'two-way');
  const conflicts = twoWay.length
    ? (await listConflicts(store, { states: ['open', 'decided'] }))
        .filter((row) => names.has(row.task))
        .slice(0, LIST_LIMIT)
    : [];
  return {
    now,
    engine,
    tasks: views,
    deadLetters: letters.map(({ pipeline, unit, key, attempts, lastFailedAt, error }) => ({
      pipeline,
      unit,
      key,
      attempts,
      lastFailedAt,
      error,
    })),
    conflicts,
  };
}
