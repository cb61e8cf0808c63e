import type { Command } from 'commander';
import type { CopyFailure, CopySummary } from '../copy/index.js';
import { KeepsyncError } from '../model/index.js';
import { EXIT } from './exit-codes.js';
import { formatDuration } from './output.js';

interface CopyCommandOptions {
  json?: boolean;
  yaml?: boolean;
  hal?: boolean;
  simple?: boolean;
  /** false with --no-follow: only the page given, no links, no pagination. */
  follow?: string[] | false;
  /** Set by --no-depend (commander names a `--no-` option after the rest of its name). */
  depend: string[];
  snapshotHost?: string;
  pageSize?: string;
  maxDepth: string;
  concurrency: string;
  header?: string[];
  batch: string;
  retries: string;
  rm?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
}

const LOG_EVERY_MS = 5_000;

/** `keepsync copy ORIGIN... DESTINATION`. */
export function registerCopyCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('copy')
    .description(
      'copy resources between HTTP(S) endpoints, YAML/JSON files, directory trees and - (stdin/stdout)',
    )
    .argument('<endpoints...>', 'one or more origins, then the destination')
    .option('--json', 'write JSON (newline-delimited on stdout)')
    .option('--yaml', 'write YAML (the default for files, directories and stdout)')
    .option('--hal', 'HAL documents: uri from _links.self.href (default)')
    .option('--simple', 'documents with id, type and uri fields')
    .option(
      '--follow <relations>',
      'link relations to follow from HTTP origins, comma-separated; * for all, child:* for a prefix',
      (value: string, previous: string[] = []) => [...previous, ...value.split(',')],
    )
    .option('--no-follow', 'read only the page given: no links, no next pages (resource-sync -n)')
    .option(
      '--no-depend <relations>',
      'link relations that are not write-order dependencies (back-links), comma-separated; child:* style prefixes allowed',
      (value: string, previous: string[]) => [...previous, ...value.split(',')],
      [],
    )
    .option(
      '--snapshot-host <url>',
      "the host a snapshot directory or file was taken from: its absolute links move to the destination's host",
    )
    .option(
      '--page-size <n>',
      'page size asked of HTTP origins, sent as X-Request-Limit (resource-sync --limit)',
    )
    .option('--max-depth <n>', 'link hops to follow (pagination does not count)', '3')
    .option('--concurrency <n>', 'HTTP requests in flight at once', '8')
    .option(
      '-H, --header <header>',
      "HTTP request header, e.g. 'Authorization: Bearer …' (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--batch <n>', 'resources per PATCH {items} where a collection allows it', '1')
    .option('--retries <n>', 'retries of connection errors, 5xx and 429', '5')
    .option('--rm', 'remove destination resources that no origin has')
    .option('--dry-run', 'print the plan (creates, updates, unchanged, deletes); write nothing')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (endpoints: string[], options: CopyCommandOptions) => {
      const global = program.opts<{ json?: boolean }>();
      setExitCode(await copyCommand(endpoints, { ...options, json: options.json || global.json }));
    });
}

async function copyCommand(endpoints: string[], options: CopyCommandOptions): Promise<number> {
  if (endpoints.length < 2) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected at least one origin and a destination, got ${endpoints.length} endpoint`,
    );
  }
  if (options.json && options.yaml) {
    throw new KeepsyncError('CONFIG_INVALID', 'Expected one of --json and --yaml, got both');
  }
  if (options.hal && options.simple) {
    throw new KeepsyncError('CONFIG_INVALID', 'Expected one of --hal and --simple, got both');
  }
  // Loaded here, not at start-up, so other commands start without the copy engine.
  const [{ copyResources }, { boundCopyHeapGrowth }] = await Promise.all([
    import('../copy/index.js'),
    import('./copy-heap.js'),
  ]);
  boundCopyHeapGrowth({ execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS });
  const destination = endpoints.at(-1)!;
  const started = performance.now();
  const progress = createCopyProgress(!options.quiet);
  const controller = new AbortController();
  // Files already renamed into place stay; none is left half-written.
  const onSignal = () =>
    controller.abort(new KeepsyncError('CONFIG_INVALID', 'Interrupted by SIGINT'));
  process.once('SIGINT', onSignal);
  let summary: CopySummary;
  try {
    summary = await copyResources({
      origins: endpoints.slice(0, -1),
      destination,
      schema: options.simple ? 'simple' : 'hal',
      notDependencies: options.depend,
      snapshotOrigin: options.snapshotHost,
      format: options.json ? 'json' : options.yaml ? 'yaml' : undefined,
      remove: options.rm ?? false,
      dryRun: options.dryRun ?? false,
      http: {
        follow: options.follow || [],
        paginate: options.follow !== false,
        maxDepth: count('--max-depth', options.maxDepth, 0),
        concurrency: count('--concurrency', options.concurrency, 1),
        batchSize: count('--batch', options.batch, 1),
        retry: { retries: count('--retries', options.retries, 0) },
        headers: {
          ...parseHeaders(options.header ?? []),
          ...(options.pageSize === undefined
            ? {}
            : { 'x-request-limit': String(count('--page-size', options.pageSize, 1)) }),
        },
        onRetry: ({ reason, retryAfterMs }) =>
          progress.print(
            retryAfterMs === undefined
              ? `retrying: ${reason}`
              : `waiting ${formatDuration(retryAfterMs)} (Retry-After), then retrying: ${reason}`,
          ),
      },
      signal: controller.signal,
      onProgress: progress.update,
      onWarning: (message) => progress.print(`warning: ${message}`),
    });
  } finally {
    process.off('SIGINT', onSignal);
    progress.stop();
  }
  if (summary.dryRun) printPlan(summary);
  for (const failure of summary.failed) process.stderr.write(`failed: ${describe(failure)}\n`);
  process.stderr.write(`${summaryLine(summary, performance.now() - started)}\n`);
  return summary.failed.length > 0 ? EXIT.runFailed : EXIT.ok;
}

function describe(failure: CopyFailure): string {
  return `${failure.key}: ${failure.error}`;
}

/** The plan of a dry run is its output, so it goes to stdout. */
function printPlan(summary: CopySummary): void {
  const lines = [
    ...summary.creates.map((key) => `create ${key}`),
    ...summary.updates.map((key) => `update ${key}`),
    ...summary.deletes.map((key) => `delete ${key}`),
  ];
  process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

function summaryLine(summary: CopySummary, ms: number): string {
  const failed = new Set(summary.failed.map((failure) => failure.key));
  const done = (keys: readonly string[]) => keys.filter((key) => !failed.has(key)).length;
  return summary.dryRun
    ? `copy (dry run, nothing written): ${summary.read} read, ${summary.creates.length} to create, ${summary.updates.length} to update, ${summary.unchanged} unchanged, ${summary.deletes.length} to delete`
    : `copy: ${summary.read} read, ${done(summary.creates)} created, ${done(summary.updates)} updated, ${summary.unchanged} unchanged, ${done(summary.deletes)} deleted, ${summary.failed.length} failed in ${formatDuration(ms)}`;
}

function count(flag: string, value: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`${flag}\` to be a whole number of at least ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

function parseHeaders(headers: readonly string[]): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const header of headers) {
    const colon = header.indexOf(':');
    if (colon <= 0) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected \`--header\` as 'Name: value', got ${JSON.stringify(header)}`,
      );
    }
    parsed[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return parsed;
}

interface CopyProgressReporter {
  update(progress: { phase: 'read' | 'write'; done: number; total?: number | undefined }): void;
  /** A line that must not be overwritten by the live progress line. */
  print(line: string): void;
  stop(): void;
}

/**
 * Progress on stderr: a live line on a terminal, otherwise a plain line at most every five
 * seconds, so stdout keeps only the data.
 */
function createCopyProgress(enabled: boolean): CopyProgressReporter {
  const live = enabled && process.stderr.isTTY;
  // Short copies finish without a progress line; long ones show one soon after starting.
  let last = Date.now() - (live ? 0 : LOG_EVERY_MS - 1_000);
  let shown = false;
  const clear = () => {
    if (shown) process.stderr.write('\r\x1b[K');
    shown = false;
  };
  return {
    update({ phase, done, total }) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < (live ? 100 : LOG_EVERY_MS)) return;
      last = now;
      const text = phase === 'read' ? `reading: ${done} resources` : `writing: ${done}/${total}`;
      if (live) {
        process.stderr.write(`\r\x1b[K${text}`);
        shown = true;
      } else {
        process.stderr.write(`${new Date(now).toISOString()} ${text}\n`);
      }
    },
    print(line) {
      clear();
      process.stderr.write(`${line}\n`);
    },
    stop: clear,
  };
}
