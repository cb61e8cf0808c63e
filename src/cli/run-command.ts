import { Engine, findPipeline, isWaitingForQuota, type LeaseBusy } from '../engine/index.js';
import { KeepsyncError } from '../model/index.js';
import type { Store } from '../store/index.js';
import type { RunResult } from '../sync/index.js';
import { listConflicts } from '../twoway/index.js';
import { alertHook } from './alerts.js';
import { type CliContext, type GlobalOptions, openContext } from './context.js';
import { type RunDashboardFlags, runDashboardFlags, startDashboard } from './dashboard-command.js';
import { EXIT } from './exit-codes.js';
import { prepareFullRefresh } from './full-refresh.js';
import { formatTime, printJson, printTable } from './output.js';
import { createProgress } from './progress.js';
import { runOnTemporal } from './run-temporal.js';

export interface RunCommandOptions extends GlobalOptions, RunDashboardFlags {
  once?: boolean;
  /** Run every unit now, then on its schedule, this many times in all. */
  times?: string;
  fullRefresh?: boolean;
}

/** A unit `run --once` did not run, and why. */
export interface SkippedUnit {
  readonly pipeline: string;
  readonly unit: string;
  readonly status: 'skipped';
  readonly reason: 'paused' | 'quota' | 'lease-held' | 'interrupted';
  readonly detail: string;
}

export async function runCommand(names: string[], options: RunCommandOptions): Promise<number> {
  const times = options.times === undefined ? undefined : Number(options.times);
  if (times !== undefined && !(Number.isInteger(times) && times >= 1)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`--times\` to be a whole number of at least 1, got ${JSON.stringify(options.times)}`,
    );
  }
  if (times !== undefined && options.once) {
    throw new KeepsyncError('CONFIG_INVALID', 'Expected one of --once and --times, got both');
  }
  const context = await openContext(options);
  try {
    return await runWith(context, names, options, times);
  } finally {
    await context.store.close();
  }
}

async function runWith(
  context: CliContext,
  names: string[],
  options: RunCommandOptions,
  times: number | undefined,
): Promise<number> {
  const { config, store, logger } = context;
  const bounded = options.once || times !== undefined;
  for (const name of names) findPipeline([...config.pipelines, ...config.twoWay], name);
  const pipelines = names.length
    ? config.pipelines.filter((pipeline) => names.includes(pipeline.name))
    : config.pipelines;
  const tasks = names.length
    ? config.twoWay.filter((task) => names.includes(task.name))
    : config.twoWay;
  if (options.fullRefresh) {
    const refreshed = await prepareFullRefresh(store, pipelines);
    if (!options.json) {
      process.stderr.write(
        `Full refresh: ${refreshed} linked object(s) of ${pipelines.length} pipeline(s) will be written again\n`,
      );
    }
  }
  if (config.engine.kind === 'temporal') {
    return runOnTemporal(config, { pipelines, tasks, all: names.length === 0 }, options);
  }
  const progress = createProgress(!options.json);
  const dashboardFlags = runDashboardFlags(options);
  const live = dashboardFlags
    ? (await import('../dashboard/index.js')).createLiveProgress()
    : undefined;
  const busy: LeaseBusy[] = [];
  const engine = await Engine.create({
    store,
    pipelines,
    tasks,
    logger,
    concurrency: config.engine.concurrency,
    leaseTtlMs: config.engine.leaseTtlMs,
    pollIntervalMs: config.engine.pollIntervalMs,
    // The CLI reports every run itself (a line, a table or a JSON line): logging them too
    // showed each failure twice.
    logRuns: false,
    onProgress: live
      ? (update) => {
          progress.update(update);
          live.update(update);
        }
      : progress.update,
    onRunFinished: both(
      both(
        // A bounded run prints its table (or JSON array) at the end; --times also shows each run.
        options.once
          ? undefined
          : options.json
            ? bounded
              ? undefined
              : printJsonLine
            : printRunLine,
        alertHook(config.alerts, logger),
      ),
      live?.finish,
    ),
    onLeaseBusy: (unit) => busy.push(unit),
  });
  const dashboard = dashboardFlags
    ? await startDashboard(context, dashboardFlags, { live, owner: engine.owner })
    : undefined;
  let interrupted = false;
  const stop = () => {
    interrupted = true;
    void engine.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    if (bounded) {
      const results = times === undefined ? await engine.runOnce() : await engine.runTimes(times);
      progress.stop();
      const selected = new Set([...pipelines, ...tasks].map((task) => task.name));
      const skipped = await skippedUnits(store, selected, results, interrupted, busy);
      const conflicts = await openConflicts(
        store,
        tasks.map((task) => task.name),
      );
      // --times printed a line per run as it finished, errors included: the table repeats none.
      reportRuns(results, options.json, skipped, times !== undefined);
      if (conflicts > 0 && !options.json) {
        process.stderr.write(
          `${conflicts} two-way conflict(s) wait for a decision: \`keepsync conflicts list\`\n`,
        );
      }
      return exitCodeOf(results, skipped, conflicts);
    }
    process.stderr.write(
      `keepsync engine ${engine.owner} running ${pipelines.length} pipeline(s) and ${tasks.length} two-way task(s); Ctrl-C stops\n`,
    );
    await engine.run();
    progress.stop();
    return EXIT.ok;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await dashboard?.close();
  }
}

function both(
  first: ((result: RunResult) => void) | undefined,
  second: ((result: RunResult) => void) | undefined,
): ((result: RunResult) => void) | undefined {
  if (!first || !second) return first ?? second;
  return (result) => {
    first(result);
    second(result);
  };
}

/** The selected units `runOnce` returned no result for: paused, leased elsewhere, or cut short. */
async function skippedUnits(
  store: Store,
  selected: ReadonlySet<string>,
  results: readonly RunResult[],
  interrupted: boolean,
  busy: readonly LeaseBusy[],
): Promise<SkippedUnit[]> {
  const ran = new Set(results.map((result) => `${result.pipeline}\u0000${result.unit}`));
  const skipped: SkippedUnit[] = [];
  for (const state of await store.listUnits()) {
    if (!selected.has(state.pipeline) || ran.has(`${state.pipeline}\u0000${state.unit}`)) continue;
    const base = { pipeline: state.pipeline, unit: state.unit, status: 'skipped' as const };
    if (state.paused) {
      skipped.push({
        ...base,
        reason: 'paused',
        detail: `paused (${state.pausedReason ?? 'no reason given'}); \`keepsync resume ${state.pipeline}\` runs it again`,
      });
    } else if (isWaitingForQuota(state, new Date())) {
      skipped.push({ ...base, reason: 'quota', detail: `not run: ${state.pausedReason}` });
    } else if (interrupted) {
      skipped.push({ ...base, reason: 'interrupted', detail: 'not run: interrupted' });
    } else {
      const holder = busy.find(
        (lease) => lease.pipeline === state.pipeline && lease.unit === state.unit,
      );
      skipped.push({
        ...base,
        reason: 'lease-held',
        detail: `not run, another engine holds its lease (${
          holder
            ? `${holder.owner ?? 'unknown'} since ${formatTime(holder.since)}, expires ${formatTime(holder.expiresAt)}`
            : 'it is running there'
        })`,
      });
    }
  }
  return skipped;
}

async function openConflicts(store: Store, tasks: readonly string[]): Promise<number> {
  let open = 0;
  for (const task of tasks) open += (await listConflicts(store, { task, states: ['open'] })).length;
  return open;
}

export function reportRuns(
  results: readonly RunResult[],
  json: boolean | undefined,
  skipped: readonly SkippedUnit[] = [],
  errorsShown = false,
): void {
  if (json) {
    printJson([...results, ...skipped]);
    return;
  }
  if (results.length > 0) {
    printTable(
      [
        'pipeline',
        'unit',
        'status',
        'read',
        'created',
        'updated',
        'unchanged',
        'deleted',
        'failed',
        'retries',
      ],
      results.map((result) => [
        result.pipeline,
        result.unit,
        result.status,
        result.stats.read,
        result.stats.created,
        result.stats.updated,
        result.stats.unchanged,
        result.stats.deleted,
        result.stats.failed,
        result.stats.retries,
      ]),
    );
  }
  for (const result of errorsShown ? [] : results) {
    if (result.error)
      process.stderr.write(
        `${result.pipeline}/${result.unit}: ${result.pausedReason ?? result.error}\n`,
      );
  }
  for (const unit of skipped)
    process.stderr.write(`${unit.pipeline}/${unit.unit}: ${unit.detail}\n`);
  if (results.length === 0 && skipped.length === 0) process.stderr.write('Nothing to run\n');
}

function printRunLine(result: RunResult): void {
  const { stats } = result;
  process.stderr.write(
    `${new Date().toISOString()} ${result.pipeline}/${result.unit} ${result.status}: ${stats.read} read, ${stats.created} created, ${stats.updated} updated, ${stats.unchanged} unchanged, ${stats.deleted} deleted, ${stats.failed} failed${result.error ? ` (${result.pausedReason ?? result.error})` : ''}\n`,
  );
}

/** `run --json` as a daemon: one JSON line per finished run, for log shippers and scripts. */
function printJsonLine(result: RunResult): void {
  process.stdout.write(`${JSON.stringify({ finishedAt: new Date().toISOString(), ...result })}\n`);
}

export function exitCodeOf(
  results: readonly RunResult[],
  skipped: readonly SkippedUnit[] = [],
  openConflictCount = 0,
): number {
  const is = (reason: SkippedUnit['reason']) => skipped.some((unit) => unit.reason === reason);
  if (is('interrupted') || results.some((result) => result.status === 'aborted'))
    return EXIT.interrupted;
  if (results.some((result) => result.status === 'failed')) return EXIT.runFailed;
  if (is('paused') || is('quota') || results.some((result) => result.status === 'paused'))
    return EXIT.paused;
  if (is('lease-held') || results.some((result) => result.status === 'lease-lost'))
    return EXIT.leaseHeld;
  if (openConflictCount > 0) return EXIT.openConflicts;
  if (results.some((result) => result.stats.failed > 0)) return EXIT.deadLetters;
  return EXIT.ok;
}
