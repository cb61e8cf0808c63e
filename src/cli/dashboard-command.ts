import type { Command } from 'commander';
import type { Dashboard, LiveProgress } from '../dashboard/index.js';
import { KeepsyncError } from '../model/index.js';
import type { CliContext, GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import { parsePort } from './port.js';

const DEFAULT_DASHBOARD_PORT = '8788';
const TOKEN_ENV = 'KEEPSYNC_DASHBOARD_TOKEN';

export interface DashboardFlags {
  port: string;
  host: string;
  token?: string | undefined;
}

/** The options `keepsync run` takes to serve the dashboard beside its engine. */
export interface RunDashboardFlags {
  /** `--dashboard` alone: true (the default port). */
  dashboard?: string | boolean;
  dashboardHost?: string;
  dashboardToken?: string;
}

export function addRunDashboardOptions(command: Command): Command {
  return command
    .option(
      '--dashboard [port]',
      `serve the dashboard and /metrics (default port ${DEFAULT_DASHBOARD_PORT})`,
    )
    .option('--dashboard-host <host>', 'address the dashboard listens on', '127.0.0.1')
    .option(
      '--dashboard-token <token>',
      `token the dashboard requires (needed beyond 127.0.0.1); prefer env ${TOKEN_ENV}`,
    );
}

/** The dashboard flags of `run`, or null when it was not asked for. */
export function runDashboardFlags(flags: RunDashboardFlags): DashboardFlags | null {
  if (flags.dashboard === undefined || flags.dashboard === false) return null;
  if (flags.dashboard !== true && !/^\d+$/.test(flags.dashboard)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected --dashboard to be followed by a port or nothing, got ${JSON.stringify(flags.dashboard)} (name pipelines before --dashboard, or give the port: --dashboard ${DEFAULT_DASHBOARD_PORT} ${flags.dashboard})`,
    );
  }
  return {
    port: flags.dashboard === true ? DEFAULT_DASHBOARD_PORT : flags.dashboard,
    host: flags.dashboardHost ?? '127.0.0.1',
    token: flags.dashboardToken,
  };
}

/** `keepsync dashboard`: the dashboard on its own, reading the store another engine writes. */
export function registerDashboardCommand(
  program: Command,
  setExitCode: (code: number) => void,
): void {
  program
    .command('dashboard')
    .description('serve the dashboard and /metrics from the store (an engine may run elsewhere)')
    .option('--port <port>', 'port to listen on (0: any free port)', DEFAULT_DASHBOARD_PORT)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token <token>', `token the dashboard requires; prefer env ${TOKEN_ENV}`)
    .action(async (flags: DashboardFlags) => {
      setExitCode(await dashboardCommand({ ...program.opts<GlobalOptions>(), ...flags }));
    });
}

async function dashboardCommand(options: GlobalOptions & DashboardFlags): Promise<number> {
  parsePort(options.port, '--port');
  const { openContext } = await import('./context.js');
  const { registerUnits } = await import('../engine/index.js');
  const context = await openContext(options);
  try {
    await registerUnits(context.store, [...context.config.pipelines, ...context.config.twoWay]);
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    const dashboard = await startDashboard(context, options, {});
    await stopped;
    await dashboard.close();
    return EXIT.ok;
  } finally {
    await context.store.close();
  }
}

/**
 * Starts the dashboard on a CLI context and prints its address (never its token) on stderr.
 * The token comes from the flag or KEEPSYNC_DASHBOARD_TOKEN.
 */
export async function startDashboard(
  { config, store, logger }: CliContext,
  flags: DashboardFlags,
  engine: { live?: LiveProgress; owner?: string },
): Promise<Dashboard> {
  const port = parsePort(flags.port, '--port');
  const token = flags.token ?? (process.env[TOKEN_ENV] || undefined);
  if (flags.token) {
    process.stderr.write(
      `keepsync: warning: a token given as a flag is readable by any local user (ps); set ${TOKEN_ENV} instead\n`,
    );
  }
  const { assertBindAllowed, createDashboard } = await import('../dashboard/index.js');
  assertBindAllowed(flags.host, token);
  const dashboard = await createDashboard({
    store,
    tasks: [
      ...config.pipelines.map((pipeline) => ({ name: pipeline.name, kind: 'pipeline' as const })),
      ...config.twoWay.map((task) => ({ name: task.name, kind: 'two-way' as const })),
    ],
    live: engine.live,
    engine: engine.owner,
    token,
    logger,
  });
  const { url } = await dashboard.listen({ port, host: flags.host });
  process.stderr.write(
    `keepsync dashboard on ${url}${token ? ' (open it as <url>#token=<token>; /metrics takes it as a bearer token)' : ''}\n`,
  );
  return dashboard;
}
