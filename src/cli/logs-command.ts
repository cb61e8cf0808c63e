import type { Command } from 'commander';
import type { DeadLetter, RunRow, Store } from '../store/index.js';
import type { GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, formatTime } from './output.js';

const FOLLOW_POLL_MS = 1000;

export interface LogsOptions extends GlobalOptions {
  unit?: string;
  limit: string;
  follow?: boolean;
}

/** One line of `keepsync logs`: a run started or finished. */
interface RunEvent {
  readonly at: Date;
  readonly event: 'run-started' | 'run-finished';
  readonly run: RunRow;
  /** With a finished run: the records it sent to the dead letters. */
  readonly deadLetters?: readonly Pick<DeadLetter, 'key' | 'error'>[];
}

/**
 * `keepsync logs [pipeline]`: what the engines on this store did, read from the store (so it
 * works wherever they run), oldest first; `--follow` keeps printing as runs start and finish.
 */
export function registerLogsCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('logs')
    .description('what the engines did: runs starting and finishing, errors, dead letters')
    .argument('[pipeline]', 'only this pipeline or two-way task')
    .option('--unit <unit>', 'only this unit')
    .option('--limit <n>', 'runs to show before following', '20')
    .option('-f, --follow', 'keep printing as runs start and finish (Ctrl-C stops)')
    .action(
      async (pipeline: string | undefined, options: Omit<LogsOptions, keyof GlobalOptions>) => {
        setExitCode(await logsCommand(pipeline, { ...program.opts<GlobalOptions>(), ...options }));
      },
    );
}

async function logsCommand(pipeline: string | undefined, options: LogsOptions): Promise<number> {
  const { KeepsyncError } = await import('../model/index.js');
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected --limit to be a whole number, got ${JSON.stringify(options.limit)}`,
    );
  }
  const { openContext } = await import('./context.js');
  const { findPipeline, followRuns } = await import('../engine/index.js');
  const { config, store } = await openContext(options);
  try {
    if (pipeline) findPipeline([...config.pipelines, ...config.twoWay], pipeline);
    const filter = { pipeline, unit: options.unit };
    const recent = limit > 0 ? (await store.listRuns({ ...filter, limit })).reverse() : [];
    const events: RunEvent[] = [];
    for (const run of recent) events.push(...(await eventsOf(store, run, run.finishedAt !== null)));
    print(events, options.json);
    if (!options.follow) return EXIT.ok;

    const [newest] = recent.length
      ? recent.slice(-1)
      : await store.listRuns({ ...filter, limit: 1 });
    const feed = followRuns(store, {
      ...filter,
      afterId: newest?.id ?? 0,
      unfinished: recent.filter((run) => !run.finishedAt).map((run) => run.id),
    });
    process.stderr.write('Following new runs; Ctrl-C stops\n');
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      while (!stop.signal.aborted) {
        const { started, finished } = await feed.poll();
        const news: RunEvent[] = started.map((run) => startEvent(run));
        for (const run of finished) news.push(await finishEvent(store, run));
        print(news, options.json);
        await sleep(FOLLOW_POLL_MS, stop.signal);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

function startEvent(run: RunRow): RunEvent {
  return { at: run.startedAt, event: 'run-started', run };
}

async function finishEvent(store: Store, run: RunRow): Promise<RunEvent> {
  const finishedAt = run.finishedAt!;
  // The dead letters this run wrote: first or last failed while it ran (the store keeps no
  // attempt in between, so a run in the middle of a series shows none).
  const during = (at: Date) => at >= run.startedAt && at <= finishedAt;
  const deadLetters = run.stats.failed
    ? (await store.listDeadLetters({ pipeline: run.pipeline, unit: run.unit }))
        .filter((letter) => during(letter.firstFailedAt) || during(letter.lastFailedAt))
        .map(({ key, error }) => ({ key, error }))
    : [];
  return { at: finishedAt, event: 'run-finished', run, deadLetters };
}

async function eventsOf(store: Store, run: RunRow, finished: boolean): Promise<RunEvent[]> {
  return finished ? [startEvent(run), await finishEvent(store, run)] : [startEvent(run)];
}

function print(events: RunEvent[], json: boolean | undefined): void {
  events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.run.id - b.run.id);
  for (const event of events) {
    process.stdout.write(`${json ? JSON.stringify(event) : describe(event)}\n`);
  }
}

function describe({ at, event, run, deadLetters }: RunEvent): string {
  const head = `${formatTime(at)} ${run.pipeline}/${run.unit} run ${run.id}`;
  if (event === 'run-started') return `${head} started (${run.trigger})`;
  const { stats } = run;
  const took = formatDuration(run.finishedAt!.getTime() - run.startedAt.getTime());
  const counts = `${stats.read} read, ${stats.created} created, ${stats.updated} updated, ${stats.unchanged} unchanged, ${stats.deleted} deleted, ${stats.failed} failed`;
  const lines = [
    `${head} ${run.status} after ${took}: ${counts}${run.error ? `; ${run.error}` : ''}`,
  ];
  for (const letter of deadLetters ?? [])
    lines.push(`  dead letter ${letter.key}: ${letter.error}`);
  return lines.join('\n');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
