import { describeStats, findPipeline } from '../engine/index.js';
import { KeepsyncError } from '../model/index.js';
import { type GlobalOptions, openContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, formatTime, printJson, printTable } from './output.js';
import { shorten } from './status-command.js';

/** `keepsync runs [pipeline]`: the run history, newest first. */
export async function runsCommand(
  pipeline: string | undefined,
  options: GlobalOptions & { unit?: string; limit: string },
): Promise<number> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected --limit to be a positive whole number, got ${JSON.stringify(options.limit)}`,
    );
  }
  const { config, store } = await openContext(options);
  try {
    if (pipeline) findPipeline([...config.pipelines, ...config.twoWay], pipeline);
    const runs = await store.listRuns({ pipeline, unit: options.unit, limit });
    if (options.json) {
      printJson(runs);
      return EXIT.ok;
    }
    printTable(
      ['run', 'pipeline', 'unit', 'trigger', 'started', 'took', 'status', 'read', 'wrote', 'error'],
      runs.map((run) => [
        run.id,
        run.pipeline,
        run.unit,
        run.trigger,
        formatTime(run.startedAt),
        run.finishedAt ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()) : '-',
        run.status,
        run.stats.read,
        describeStats(run.stats),
        shorten(run.error ?? '', 60),
      ]),
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
