import type { Command } from 'commander';
import { KeepsyncError } from '../model/index.js';
import { registerCodecServerCommand } from './codec-server-command.js';
import type { CliContext, GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import { loadTemporal, type TemporalModule } from './load-temporal.js';
import { printJson, printTable } from './output.js';
import { warnVerifyNotScheduled } from './temporal-notices.js';
import {
  type TemporalFlags,
  type TemporalSettings,
  temporalSettings,
} from './temporal-settings.js';

type TargetOptions = TemporalFlags;

function withTarget(command: Command): Command {
  return command
    .option(
      '--address <host:port>',
      "Temporal frontend (default: the config's engine.address, TEMPORAL_ADDRESS or localhost:7233)",
    )
    .option(
      '--namespace <name>',
      "namespace (default: the config's engine.namespace, TEMPORAL_NAMESPACE or default)",
    )
    .option(
      '--task-queue <name>',
      "task queue of this deployment (default: the config's engine.taskQueue, KEEPSYNC_TASK_QUEUE or keepsync)",
    );
}

/** A connected command: the config is loaded first, so its `engine` section fills the flags. */
async function withTemporal<T>(
  global: GlobalOptions,
  options: TargetOptions,
  action: (
    temporal: TemporalModule,
    context: CliContext,
    target: Target,
    settings: TemporalSettings,
  ) => Promise<T>,
): Promise<T> {
  const temporal = await loadTemporal();
  // The engine, connectors and config loader load when a command runs, not for `--help`.
  const { openContext } = await import('./context.js');
  const context = await openContext(global);
  try {
    const settings = temporalSettings(context.config.engine, options);
    const target = temporal.resolveTemporalTarget(settings.target);
    if (
      target.codecKeys.length === 0 &&
      !/^(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(target.address)
    ) {
      process.stderr.write(
        'keepsync: warning: KEEPSYNC_CODEC_KEYS is not set, so payloads go to a remote Temporal in clear\n',
      );
    }
    return await action(temporal, context, target, settings);
  } finally {
    await context.store.close();
  }
}

type Target = ReturnType<TemporalModule['resolveTemporalTarget']>;
type TemporalClient = Parameters<TemporalModule['unitStatus']>[0];

/** A client for one command, closed when the command is done. */
async function withClient<T>(
  temporal: TemporalModule,
  target: Target,
  action: (client: TemporalClient) => Promise<T>,
): Promise<T> {
  const client = await temporal.connectTemporalClient(target);
  try {
    return await action(client);
  } finally {
    await client.connection.close();
  }
}

/** The (pipeline, unit) pairs a command acts on: all, one pipeline's, or one unit. */
async function unitRefs(
  context: CliContext,
  pipeline: string | undefined,
  unit?: string,
): Promise<Array<{ pipeline: string; unit: string }>> {
  const { pipelineTask } = await import('../engine/index.js');
  const tasks = [...context.config.pipelines.map(pipelineTask), ...context.config.twoWay];
  const chosen = pipeline ? tasks.filter((task) => task.name === pipeline) : tasks;
  if (pipeline && chosen.length === 0) {
    throw new KeepsyncError(
      'NOT_FOUND',
      `No pipeline or two-way task named ${pipeline} in the config`,
    );
  }
  const refs = [];
  for (const task of chosen) {
    for (const { id } of await task.units()) {
      if (!unit || unit === id) refs.push({ pipeline: task.name, unit: id });
    }
  }
  if (unit && refs.length === 0) {
    throw new KeepsyncError('NOT_FOUND', `Pipeline ${pipeline} has no unit ${unit}`);
  }
  return refs;
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
      .option(
        '--build-id <id>',
        "Worker Versioning build id (default: the config's engine.buildId or KEEPSYNC_BUILD_ID)",
      ),
  ).action(async (options: TargetOptions) => {
    setExitCode(
      await withTemporal(global(), options, async (temporal, context, target, settings) => {
        const connection = await temporal.connectTemporalWorker(target);
        // The config's OAuth connections get their tokens from their token workflows.
        const tokenClient = await temporal.connectTemporalClient(target);
        const { installTokenBroker } = await import('../connectors/support/index.js');
        const uninstall = installTokenBroker(temporal.temporalTokenBroker(tokenClient));
        const worker = await temporal.createKeepsyncWorker({
          connection,
          namespace: target.namespace,
          taskQueue: settings.taskQueue,
          store: context.store,
          pipelines: context.config.pipelines,
          tasks: context.config.twoWay,
          logger: context.logger,
          codecKeys: target.codecKeys,
          buildId: settings.buildId,
          deploymentName: settings.deploymentName,
          leaseTtlMs: context.config.engine.leaseTtlMs,
        });
        warnVerifyNotScheduled(context.config.pipelines);
        const stop = () => worker.shutdown();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stderr.write(
          `keepsync worker polling task queue ${settings.taskQueue} on ${target.address} (${target.namespace})\n`,
        );
        try {
          await worker.run();
        } finally {
          uninstall();
          await tokenClient.connection.close();
          await connection.close();
        }
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
      await withTemporal(global(), options, (module, context, target, settings) =>
        withClient(module, target, async (client) => {
          // Token owners first: the unit workflows' first runs ask them for tokens.
          const { oauthConnections } = await import('../connectors/support/index.js');
          const owners = oauthConnections().length
            ? await module.startTokenWorkflows({ client, taskQueue: settings.taskQueue })
            : { ensured: [], unauthorized: [] };
          warnVerifyNotScheduled(context.config.pipelines);
          const result = await module.startUnitWorkflows({
            client,
            taskQueue: settings.taskQueue,
            pipelines: context.config.pipelines,
            tasks: context.config.twoWay,
          });
          if (global().json) printJson({ ...result, tokenOwners: owners });
          else {
            for (const id of owners.ensured) process.stdout.write(`ensured ${id}\n`);
            for (const name of owners.unauthorized) {
              process.stdout.write(`not authorized yet: ${name} (run keepsync auth first)\n`);
            }
            for (const id of result.ensured) process.stdout.write(`ensured ${id}\n`);
            for (const id of result.stopped) process.stdout.write(`stopped ${id}\n`);
          }
          return EXIT.ok;
        }),
      ),
    );
  });

  withTarget(
    temporal
      .command('status')
      .description('query every unit workflow for its status')
      .argument('[pipeline]', 'only this pipeline or two-way task'),
  ).action(async (pipeline: string | undefined, options: TargetOptions) => {
    setExitCode(
      await withTemporal(global(), options, (module, context, target) =>
        withClient(module, target, async (client) => {
          const statuses = [];
          for (const ref of await unitRefs(context, pipeline)) {
            statuses.push(await module.unitStatus(client, ref));
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
                    : status.waitingForQuotaUntil
                      ? `waiting for quota until ${status.waitingForQuotaUntil}`
                      : 'idle',
                status.runs,
                status.lastRun ? `${status.lastRun.status} ${status.lastRun.finishedAt}` : '-',
                status.nextRunAt ?? '-',
                status.lastError ?? '',
              ]),
            );
          }
          return statuses.some((status) => status.paused) ? EXIT.paused : EXIT.ok;
        }),
      ),
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
          const refs = await unitRefs(context, pipeline, options.unit);
          return withClient(module, target, async (client) => {
            for (const ref of refs) await sendSignal(module, client, ref, signal, options);
            process.stdout.write(`sent ${signal} to ${refs.length} workflow(s)\n`);
            return EXIT.ok;
          });
        }),
      );
    },
  );

  registerCodecServerCommand(temporal, setExitCode);

  withTarget(
    temporal
      .command('stop')
      .description('cancel the unit workflows (the page in flight is committed first)')
      .argument('[pipeline]', 'only this pipeline or two-way task'),
  ).action(async (pipeline: string | undefined, options: TargetOptions) => {
    setExitCode(
      await withTemporal(global(), options, (module, context, target) =>
        withClient(module, target, async (client) => {
          for (const ref of await unitRefs(context, pipeline)) {
            await module.unitHandle(client, ref).cancel();
            process.stdout.write(`stopped ${module.unitWorkflowId(ref.pipeline, ref.unit)}\n`);
          }
          return EXIT.ok;
        }),
      ),
    );
  });
}

async function sendSignal(
  module: TemporalModule,
  client: TemporalClient,
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
      if (options.cron) {
        const { nextRunAfter } = await import('../engine/index.js');
        nextRunAfter({ name: ref.pipeline, schedule: { cron: options.cron } }, new Date());
      }
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
