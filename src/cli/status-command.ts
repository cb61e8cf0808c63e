import {
  describeDrift,
  describeStats,
  type UnitReport as EngineUnitReport,
  registerUnits,
  reportUnits,
} from '../engine/index.js';
import { type GlobalOptions, openContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, formatTime, printJson, printTable } from './output.js';

const ERROR_WIDTH = 60;
const CURSOR_WIDTH = 24;

/** One unit as `status` shows it: the engine's report plus its state in words. */
interface UnitReport extends EngineUnitReport {
  readonly state: string;
}

export async function statusCommand(options: GlobalOptions): Promise<number> {
  const { config, store } = await openContext(options);
  try {
    await registerUnits(store, [...config.pipelines, ...config.twoWay]);
    const now = new Date();
    const reports: UnitReport[] = (await reportUnits(store, now)).map((report) => ({
      ...report,
      state: describeState(report, now),
    }));
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
        'last verify',
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
          describeVerify(report),
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

function describeVerify(report: EngineUnitReport): string {
  const run = report.lastVerify;
  if (!run) return '-';
  const drift = run.stats.drift;
  const found = drift ? describeDrift(drift).replace(/^drift: /, '') : '';
  return `${formatTime(run.startedAt)} ${run.status === 'succeeded' ? found : run.status}`;
}

function describeState(report: EngineUnitReport, now: Date): string {
  const { running } = report;
  switch (report.phase) {
    case 'running': {
      const since = formatDuration(now.getTime() - running!.startedAt.getTime());
      return `running on ${report.leaseOwner} since ${formatTime(report.leaseSince ?? running!.startedAt)} (${since}): ${running!.stats.read} read so far`;
    }
    case 'stale-lease':
      return `stale lease: ${report.leaseOwner} since ${formatTime(report.leaseSince)} (expired ${formatTime(report.leaseExpiresAt)}; the next engine takes it over)`;
    case 'leased':
      return `leased: ${report.leaseOwner} since ${formatTime(report.leaseSince)}, expires ${formatTime(report.leaseExpiresAt)}`;
    case 'paused':
      return `paused: ${report.pausedReason ?? 'no reason given'}`;
    case 'waiting-for-quota':
      return `waiting: ${report.pausedReason}`;
    case 'sync-requested':
      return 'sync requested';
    case 'failing':
      return 'failing (retrying on its backoff)';
    case 'scheduled':
      return 'scheduled';
  }
}

export function shorten(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
