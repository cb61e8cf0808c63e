import { isWaitingForQuota, listStatus, registerUnits, type UnitStatus } from '../engine/index.js';
import type { RunRow, RunStats, Store } from '../store/index.js';
import { type GlobalOptions, openContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, formatTime, printJson, printTable } from './output.js';

const ERROR_WIDTH = 60;
const CURSOR_WIDTH = 24;

/** One unit as `status` shows it: its row plus what is running now and where its cursor is. */
export interface UnitReport extends UnitStatus {
  readonly state: string;
  /** The run in progress (its stats so far), when the unit is running somewhere. */
  readonly running: RunRow | null;
  readonly staleLease: boolean;
  readonly cursor: unknown;
}

export async function statusCommand(options: GlobalOptions): Promise<number> {
  const { config, store } = await openContext(options);
  try {
    await registerUnits(store, [...config.pipelines, ...config.twoWay]);
    const reports = await reportUnits(store, new Date());
    if (options.json) {
      printJson(reports);
      return EXIT.ok;
    }
    printTable(
      [
        'pipeline',
        'unit',
        'state',
        'last run',
        'result',
        'next run',
        'last run wrote',
        'cursor',
        'last error',
      ],
      reports.map((report) => {
        const run = report.lastRun;
        const duration = run?.finishedAt
          ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime())
          : '';
        return [
          report.pipeline,
          report.unit,
          report.state,
          formatTime(run?.startedAt),
          run ? `${run.status} ${duration}`.trim() : '-',
          report.paused ? '-' : formatTime(report.nextRunAt),
          run ? describeStats(run.stats) : '-',
          shorten(report.cursor === null ? '-' : JSON.stringify(report.cursor), CURSOR_WIDTH),
          shorten(run?.error ?? '', ERROR_WIDTH),
        ];
      }),
    );
    if (reports.some((report) => (report.lastRun?.error?.length ?? 0) > ERROR_WIDTH)) {
      process.stdout.write(
        'Errors are shortened; `keepsync status --json` or `keepsync runs` shows them whole\n',
      );
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function reportUnits(store: Store, now: Date): Promise<UnitReport[]> {
  const rows = await listStatus(store);
  return Promise.all(
    rows.map(async (row) => {
      const leased = row.leaseOwner !== null && row.leaseExpiresAt !== null;
      const staleLease = leased && row.leaseExpiresAt! <= now;
      const [latest] = await store.listRuns({ pipeline: row.pipeline, unit: row.unit, limit: 1 });
      const running = leased && !staleLease && latest?.status === 'running' ? latest : null;
      const cursor = (await store.getCursor(row.pipeline, row.unit))?.cursor ?? null;
      return {
        ...row,
        state: describeState(row, running, staleLease, now),
        running,
        staleLease,
        cursor,
      };
    }),
  );
}

function describeState(
  row: UnitStatus,
  running: RunRow | null,
  staleLease: boolean,
  now: Date,
): string {
  if (running) {
    const since = formatDuration(now.getTime() - running.startedAt.getTime());
    return `running on ${row.leaseOwner} since ${formatTime(row.leaseSince ?? running.startedAt)} (${since}): ${running.stats.read} read so far`;
  }
  if (staleLease) {
    return `stale lease: ${row.leaseOwner} since ${formatTime(row.leaseSince)} (expired ${formatTime(row.leaseExpiresAt)}; the next engine takes it over)`;
  }
  if (row.leaseOwner !== null) {
    return `leased: ${row.leaseOwner} since ${formatTime(row.leaseSince)}, expires ${formatTime(row.leaseExpiresAt)}`;
  }
  if (row.paused) return `paused: ${row.pausedReason ?? 'no reason given'}`;
  if (isWaitingForQuota(row, now)) return `waiting: ${row.pausedReason}`;
  if (row.syncRequested) return 'sync requested';
  return 'scheduled';
}

/** What a run wrote, in plain words; zero counts are left out. */
export function describeStats(stats: RunStats): string {
  const parts = (
    [
      [stats.created, 'created'],
      [stats.updated, 'updated'],
      [stats.unchanged, 'unchanged'],
      [stats.deleted, 'deleted'],
      [stats.failed, 'failed'],
    ] as const
  )
    .filter(([count]) => count > 0)
    .map(([count, word]) => `${count} ${word}`);
  return parts.length ? parts.join(', ') : 'nothing';
}

export function shorten(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
