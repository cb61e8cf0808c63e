import type { Command } from 'commander';
import { nextRunAfter, pipelineTask } from '../engine/index.js';
import { KeepsyncError } from '../model/index.js';
import { type CliContext, type GlobalOptions, openContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { printJson, printTable } from './output.js';

type TemporalModule = typeof import('../temporal/index.js');

interface TargetOptions {
  address?: string;
  namespace?: string;
  taskQueue: string;
}

/** The Temporal SDK is an optional peer: load it only when a Temporal command runs. */
async function loadTemporal(): Promise<TemporalModule> {
  try {
    return await import('../temporal/index.js');
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new KeepsyncError(
        'DEPENDENCY_MISSING',
        'The Temporal engine needs the Temporal SDK: npm install @temporalio/client @temporalio/worker @temporalio/workflow @temporalio/activity @temporalio/common @temporalio/proto',
        { cause: error },
      );
    }
    throw error;
  }
}

function withTarget(command: Command): Command {
  return command
    .option(
      '--address <host:port>',
      'Temporal frontend (default: TEMPORAL_ADDRESS or localhost:7233)',
    )
    .option('--namespace <name>', 'namespace (default: TEMPORAL_NAMESPACE or default)')
    .option(
      '--task-queue <name>',
      'task queue of this deployment',
      process.env.KEEPSYNC_TASK_QUEUE ?? 'keepsync',
    );
}

async function withTemporal<T>(
  global: GlobalOptions,
  options: TargetOptions,
  action: (
    temporal: TemporalModule,
    context: CliContext,
    target: ReturnType<TemporalModule['resolveTemporalTarget']>,
  ) => Promise<T>,
): Promise<T> {
  const temporal = await loadTemporal();
  const target = temporal.resolveTemporalTarget({
    address: options.address,
    namespace: options.namespace,
  });
  if (
    target.codecKeys.length === 0 &&
    !/^(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(target.address)
  ) {
    process.stderr.write(
      'keepsync: warning: KEEPSYNC_CODEC_KEYS is not set, so payloads go to a remote Temporal in clear\n',
    );
  }
  const context = await openContext(global);
  try {
    return await action(temporal, context, target);
  } finally {
    await context.store.close();
  }
}

function units(context: CliContext, pipeline: string | undefined) {
  const tasks = [...context.config.pipelines.map(pipelineTask), ...context.config.twoWay];
  const chosen = pipeline ? tasks.filter((task) => task.name === pipeline) : tasks;
  if (pipeline && chosen.length === 0) {
    throw new KeepsyncError(
      'NOT_FOUND',
      `No pipeline or two-way task named ${pipeline} in the config`,
    );
  }
  return chosen;
}

/** `keepsync worker` and `keepsync temporal start|status|signal|stop`. */
export function registerTemporalCommands(
  program: Command,
  setExitCode: (code: number) => void,
): void {
  const global = () => program.opts<GlobalOptions>();

  withTarget(
    program
      .command('worker')
      .description('run a Temporal worker for the pipelines and two-way tasks of this config')
      .option('--build-id <id>', 'Worker Versioning build id (default: KEEPSYNC_BUILD_ID)'),
  ).action(async (options: TargetOptions & { buildId?: string }) => {
    setExitCode(
      await withTemporal(global(), options, async (temporal, context, target) => {
        const connection = await temporal.connectTemporalWorker(target);
        const worker = await temporal.createKeepsyncWorker({
          connection,
          namespace: target.namespace,
          taskQueue: options.taskQueue,
          store: context.store,
          pipelines: context.config.pipelines,
          tasks: context.config.twoWay,
          logger: context.logger,
          codecKeys: target.codecKeys,
          buildId: options.buildId ?? process.env.KEEPSYNC_BUILD_ID,
          leaseTtlMs: context.config.engine.leaseTtlMs,
        });
        const stop = () => worker.shutdown();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stderr.write(
          `keepsync worker polling task queue ${options.taskQueue} on ${target.address} (${target.namespace})\n`,
        );
        await worker.run();
        await connection.close();
        return EXIT.ok;
      }),
    );
  });

  const temporal = program
    .command('temporal')
    .description('the Temporal engine: start, inspect, signal and stop the unit workflows');

  withTarget(
    temporal
      .command('start')
      .description('start a workflow per (pipeline, unit); apply schedules; stop removed units'),
  ).action(async (options: TargetOptions) => {
    setExitCode(
      await withTemporal(global(), options, async (module, context, target) => {
        const client = await module.connectTemporalClient(target);
        try {
          const result = await module.startUnitWorkflows({
            client,
            taskQueue: options.taskQueue,
            pipelines: context.config.pipelines,
            tasks: context.config.twoWay,
          });
          if (global().json) printJson(result);
          else {
            for (const id of result.ensured) process.stdout.write(`ensured ${id}\n`);
            for (const id of result.stopped) process.stdout.write(`stopped ${id}\n`);
          }
          return EXIT.ok;
        } finally {
          await client.connection.close();
        }
      }),
    );
  });

  withTarget(
    temporal
      .command('status')
      .description('query every unit workflow for its status')
      .argument('[pipeline]', 'only this pipeline or two-way task'),
  ).action(async (pipeline: string | undefined, options: TargetOptions) => {
    setExitCode(
      await withTemporal(global(), options, async (module, context, target) => {
        const client = await module.connectTemporalClient(target);
        try {
          const statuses = [];
          for (const task of units(context, pipeline)) {
            for (const unit of await task.units()) {
              statuses.push(
                await module.unitStatus(client, { pipeline: task.name, unit: unit.id }),
              );
            }
          }
          if (global().json) printJson(statuses);
          else {
            printTable(
              ['pipeline', 'unit', 'state', 'runs', 'last run', 'next run', 'last error'],
              statuses.map((status) => [
                status.pipeline,
                status.unit,
                status.paused
                  ? `paused: ${status.pausedReason}`
                  : status.running
                    ? 'running'
                    : 'idle',
                status.runs,
                status.lastRun ? `${status.lastRun.status} ${status.lastRun.finishedAt}` : '-',
                status.nextRunAt ?? '-',
                status.lastError ?? '',
              ]),
            );
          }
          return statuses.some((status) => status.paused) ? EXIT.paused : EXIT.ok;
        } finally {
          await client.connection.close();
        }
      }),
    );
  });

  withTarget(
    temporal
      .command('signal')
      .description('signal unit workflows: syncNow, pause, resume or setSchedule')
      .argument('<pipeline>')
      .argument('<signal>', 'syncNow | pause | resume | setSchedule')
      .option('--unit <unit>', 'only this unit')
      .option('--keys <keys>', 'syncNow: only these record keys, comma-separated')
      .option('--reason <text>', 'pause: shown by status')
      .option('--every-ms <ms>', 'setSchedule: run every this many milliseconds')
      .option('--cron <expression>', 'setSchedule: a cron expression'),
  ).action(
    async (
      pipeline: string,
      signal: string,
      options: TargetOptions & {
        unit?: string;
        keys?: string;
        reason?: string;
        everyMs?: string;
        cron?: string;
      },
    ) => {
      setExitCode(
        await withTemporal(global(), options, async (module, context, target) => {
          const refs = [];
          for (const task of units(context, pipeline)) {
            for (const unit of await task.units()) {
              if (!options.unit || options.unit === unit.id)
                refs.push({ pipeline: task.name, unit: unit.id });
            }
          }
          if (refs.length === 0) {
            throw new KeepsyncError(
              'NOT_FOUND',
              `Pipeline ${pipeline} has no unit ${options.unit}`,
            );
          }
          const client = await module.connectTemporalClient(target);
          try {
            for (const ref of refs) await sendSignal(module, client, ref, signal, options);
            process.stdout.write(`sent ${signal} to ${refs.length} workflow(s)\n`);
            return EXIT.ok;
          } finally {
            await client.connection.close();
          }
        }),
      );
    },
  );

  withTarget(
    temporal
      .command('stop')
      .description('cancel the unit workflows (the page in flight is committed first)')
      .argument('[pipeline]', 'only this pipeline or two-way task'),
  ).action(async (pipeline: string | undefined, options: TargetOptions) => {
    setExitCode(
      await withTemporal(global(), options, async (module, context, target) => {
        const client = await module.connectTemporalClient(target);
        try {
          for (const task of units(context, pipeline)) {
            for (const unit of await task.units()) {
              await module.unitHandle(client, { pipeline: task.name, unit: unit.id }).cancel();
              process.stdout.write(`stopped ${module.unitWorkflowId(task.name, unit.id)}\n`);
            }
          }
          return EXIT.ok;
        } finally {
          await client.connection.close();
        }
      }),
    );
  });
}

async function sendSignal(
  module: TemporalModule,
  client: Parameters<TemporalModule['unitStatus']>[0],
  ref: { pipeline: string; unit: string },
  signal: string,
  options: { keys?: string; reason?: string; everyMs?: string; cron?: string },
): Promise<void> {
  switch (signal) {
    case 'syncNow': {
      const keys = options.keys
        ?.split(',')
        .map((key) => key.trim())
        .filter(Boolean);
      return module.syncUnitNow(client, ref, keys);
    }
    case 'pause':
      return module.pauseUnit(client, ref, options.reason);
    case 'resume':
      return module.resumeUnit(client, ref);
    case 'setSchedule': {
      const everyMs = options.everyMs === undefined ? undefined : Number(options.everyMs);
      if (
        !options.cron &&
        !(everyMs !== undefined && Number.isInteger(everyMs) && everyMs >= 1000)
      ) {
        throw new KeepsyncError(
          'CONFIG_INVALID',
          `Expected setSchedule to get --cron or --every-ms of at least 1000, got ${options.everyMs ?? 'neither'}`,
        );
      }
      // A cron the workflow cannot plan is refused here, with the reason.
      if (options.cron)
        nextRunAfter({ name: ref.pipeline, schedule: { cron: options.cron } }, new Date());
      await module
        .unitHandle(client, ref)
        .signal(module.SIGNALS.setSchedule, options.cron ? { cron: options.cron } : { everyMs });
      return;
    }
    default:
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected the signal to be syncNow, pause, resume or setSchedule, got ${JSON.stringify(signal)}`,
      );
  }
}
