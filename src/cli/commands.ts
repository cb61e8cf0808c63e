import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Engine,
  findPipeline,
  type LeaseBusy,
  listStatus,
  pauseUnits,
  registerUnits,
  requestSync,
  resetPipeline,
  resumeUnits,
  type UnitStatus,
} from '../engine/index.js';
import { KeepsyncError } from '../model/index.js';
import { type RunResult, retryDeadLetters } from '../sync/index.js';
import { type CliContext, type GlobalOptions, openContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, formatTime, printJson, printTable } from './output.js';
import { createProgress } from './progress.js';
import { CONFIG_TEMPLATE } from './template.js';

async function withContext<T>(
  options: GlobalOptions,
  action: (context: CliContext) => Promise<T>,
): Promise<T> {
  const context = await openContext(options);
  try {
    return await action(context);
  } finally {
    await context.store.close();
  }
}

export function initCommand(options: { force?: boolean }): number {
  const path = resolve('keepsync.config.ts');
  if (existsSync(path) && !options.force) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `${path} already exists; pass --force to overwrite it`,
    );
  }
  writeFileSync(path, CONFIG_TEMPLATE);
  process.stdout.write(`Created ${path}\nNext: edit it, then run \`keepsync run --once\`\n`);
  return EXIT.ok;
}

export async function runCommand(
  names: string[],
  options: GlobalOptions & { once?: boolean; times?: string },
): Promise<number> {
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
  return withContext(options, async ({ config, store, logger }) => {
    for (const name of names) findPipeline(scheduled(config), name);
    const pipelines = names.length
      ? config.pipelines.filter((pipeline) => names.includes(pipeline.name))
      : config.pipelines;
    const tasks = names.length
      ? config.twoWay.filter((task) => names.includes(task.name))
      : config.twoWay;
    const progress = createProgress(!options.json);
    const busy: LeaseBusy[] = [];
    const engine = await Engine.create({
      store,
      pipelines,
      tasks,
      logger,
      ...config.engine,
      onProgress: progress.update,
      onRunFinished: options.once || options.json ? undefined : printRunLine,
      onLeaseBusy: (unit) => busy.push(unit),
    });
    const stop = () => void engine.shutdown();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      if (options.once || times !== undefined) {
        const results = times === undefined ? await engine.runOnce() : await engine.runTimes(times);
        progress.stop();
        reportRuns(results, options.json);
        for (const unit of busy) process.stderr.write(`${describeBusy(unit)}\n`);
        const code = exitCodeOf(results);
        return code === EXIT.ok && busy.length > 0 ? EXIT.leaseBusy : code;
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
    }
  });
}

function reportRuns(results: readonly RunResult[], json: boolean | undefined): void {
  if (json) {
    printJson(results);
    return;
  }
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
  for (const result of results) {
    if (result.error)
      process.stderr.write(
        `${result.pipeline}/${result.unit}: ${result.pausedReason ?? result.error}\n`,
      );
  }
}

function describeBusy(unit: LeaseBusy): string {
  return `${unit.pipeline}/${unit.unit}: not run, another engine holds its lease (${leaseHolder(unit)})`;
}

function leaseHolder(lease: Pick<LeaseBusy, 'owner' | 'since' | 'expiresAt'>): string {
  return `${lease.owner ?? 'unknown'} since ${formatTime(lease.since)}, expires ${formatTime(lease.expiresAt)}`;
}

/** The status table's state cell: a lease first (held, or stale once it ran out), then the rest. */
function unitState(row: UnitStatus, now: Date): string {
  if (row.leaseOwner !== null) {
    const stale = row.leaseExpiresAt !== null && row.leaseExpiresAt <= now;
    return `${stale ? 'stale lease' : 'leased'}: ${leaseHolder({ owner: row.leaseOwner, since: row.leaseSince, expiresAt: row.leaseExpiresAt })}`;
  }
  if (row.paused) return `paused: ${row.pausedReason ?? ''}`;
  return row.syncRequested ? 'sync requested' : 'scheduled';
}

function printRunLine(result: RunResult): void {
  const { stats } = result;
  process.stderr.write(
    `${new Date().toISOString()} ${result.pipeline}/${result.unit} ${result.status}: ${stats.read} read, ${stats.created} created, ${stats.updated} updated, ${stats.unchanged} unchanged, ${stats.deleted} deleted, ${stats.failed} failed${result.error ? ` (${result.pausedReason ?? result.error})` : ''}\n`,
  );
}

function exitCodeOf(results: readonly RunResult[]): number {
  if (results.some((result) => result.status === 'failed')) return EXIT.runFailed;
  if (results.some((result) => result.status === 'paused')) return EXIT.paused;
  if (results.some((result) => result.stats.failed > 0)) return EXIT.deadLetters;
  return EXIT.ok;
}

export async function statusCommand(options: GlobalOptions): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    await registerUnits(store, scheduled(config));
    const rows = await listStatus(store);
    const now = new Date();
    if (options.json) {
      printJson(rows);
      return EXIT.ok;
    }
    printTable(
      ['pipeline', 'unit', 'state', 'last run', 'result', 'next run', 'last stats', 'last error'],
      rows.map((row) => {
        const run = row.lastRun;
        const duration = run?.finishedAt
          ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime())
          : '';
        return [
          row.pipeline,
          row.unit,
          unitState(row, now),
          formatTime(run?.startedAt),
          run ? `${run.status} ${duration}`.trim() : '-',
          row.paused ? '-' : formatTime(row.nextRunAt),
          run
            ? `${run.stats.created}+ ${run.stats.updated}~ ${run.stats.unchanged}= ${run.stats.deleted}- ${run.stats.failed}!`
            : '-',
          run?.error ?? '',
        ];
      }),
    );
    return EXIT.ok;
  });
}

export async function triggerCommand(
  pipeline: string,
  options: GlobalOptions & { unit?: string; keys?: string },
): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    findPipeline(scheduled(config), pipeline);
    await registerUnits(store, scheduled(config));
    const keys = options.keys
      ? options.keys
          .split(',')
          .map((key) => key.trim())
          .filter(Boolean)
      : null;
    const units = await requestSync(store, pipeline, options.unit, keys);
    say(
      options,
      { requested: units.map((unit) => unit.unit), keys },
      `Sync requested for ${units.length} unit(s) of ${pipeline}`,
    );
    return EXIT.ok;
  });
}

export async function pauseCommand(
  pipeline: string,
  options: GlobalOptions & { unit?: string; reason?: string },
): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    findPipeline(scheduled(config), pipeline);
    const units = await pauseUnits(
      store,
      pipeline,
      options.unit,
      options.reason ?? 'paused by hand',
    );
    say(
      options,
      { paused: units.map((unit) => unit.unit) },
      `Paused ${units.length} unit(s) of ${pipeline}`,
    );
    return EXIT.ok;
  });
}

export async function resumeCommand(
  pipeline: string,
  options: GlobalOptions & { unit?: string },
): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    findPipeline(scheduled(config), pipeline);
    const units = await resumeUnits(store, pipeline, options.unit);
    say(
      options,
      { resumed: units.map((unit) => unit.unit) },
      `Resumed ${units.length} unit(s) of ${pipeline}; they run at once`,
    );
    return EXIT.ok;
  });
}

export async function resetCommand(
  pipeline: string,
  options: GlobalOptions & { truncate?: boolean },
): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    const result = await resetPipeline(store, findPipeline(config.pipelines, pipeline), {
      truncate: options.truncate,
    });
    say(
      options,
      result,
      `Reset ${pipeline}: ${result.cursors} cursor(s) forgotten${options.truncate ? `, destination truncated, ${result.links} link(s) dropped` : ''}; the next run re-reads everything`,
    );
    return EXIT.ok;
  });
}

export async function deadLettersListCommand(
  options: GlobalOptions & { pipeline?: string },
): Promise<number> {
  return withContext(options, async ({ store }) => {
    const letters = await store.listDeadLetters({ pipeline: options.pipeline });
    if (options.json) {
      printJson(letters.map(({ record: _record, ...letter }) => letter));
      return EXIT.ok;
    }
    printTable(
      ['pipeline', 'unit', 'key', 'attempts', 'last failed', 'error'],
      letters.map((letter) => [
        letter.pipeline,
        letter.unit,
        letter.key,
        letter.attempts,
        formatTime(letter.lastFailedAt),
        letter.error.slice(0, 120),
      ]),
    );
    return EXIT.ok;
  });
}

export async function deadLettersRetryCommand(
  options: GlobalOptions & { pipeline?: string },
): Promise<number> {
  return withContext(options, async ({ config, store, logger }) => {
    const pipelines = options.pipeline
      ? [findPipeline(config.pipelines, options.pipeline)]
      : config.pipelines;
    const results: RunResult[] = [];
    for (const pipeline of pipelines)
      results.push(...(await retryDeadLetters({ store, pipeline, logger })));
    reportRuns(results, options.json);
    return exitCodeOf(results);
  });
}

/** Everything the engine schedules: pipelines and two-way tasks (names are unique across both). */
function scheduled(config: CliContext['config']) {
  return [...config.pipelines, ...config.twoWay];
}

function say(options: GlobalOptions, json: unknown, text: string): void {
  if (options.json) printJson(json);
  else process.stdout.write(`${text}\n`);
}
