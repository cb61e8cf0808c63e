import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { KeepsyncError } from '../model/index.js';
import type { DocumentStore } from '../server/index.js';
import { EXIT } from './exit-codes.js';
import type { ServeFlags } from './serve-config.js';

export type ServeCommandOptions = ServeFlags;

/** `keepsync serve`: the offline-first sync server on its own, SQLite by default. */
export function registerServeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description('run the offline-first sync server (push, pull, full resync, WebSocket stream)')
    .option('--port <port>', 'port to listen on (0: any free port)', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--db <file>', 'SQLite database file (the embedded default)', 'keepsync-sync.db')
    .option('--postgres <url>', 'use PostgreSQL instead of SQLite (several servers may share it)')
    .option(
      '--no-prepared-statements',
      'PostgreSQL: unnamed statements only (PgBouncer before 1.21 in transaction mode)',
    )
    .option(
      '--jwt-secret <secret>',
      'HS256 secret of client tokens; prefer env KEEPSYNC_JWT_SECRET (a flag shows in ps)',
    )
    .option('--jwks-url <url>', 'verify client tokens against this JWKS instead')
    .option('--scope-claim <claim>', 'token claim naming the tenant (default: the actor)')
    .option('--actor-claim <claim>', 'token claim naming the user', 'sub')
    .option('--collections <names>', 'allow-list of collections, comma-separated')
    .option('--retention-days <days>', 'oplog retention', '30')
    .option('--atomic', 'apply each push all or nothing')
    .option('--no-auth', 'accept requests without tokens (local development only)')
    .option('--poll-ms <ms>', 'live-stream safety poll interval (0: off)', '1000')
    .option('--log-level <level>', 'pino log level', process.env.KEEPSYNC_LOG_LEVEL ?? 'info')
    .action(async (options: ServeCommandOptions, command: Command) => {
      const explicit = (flag: keyof ServeFlags) => command.getOptionValueSource(flag) === 'cli';
      const configPath = program.opts<{ config?: string }>().config;
      setExitCode(await serveCommand(options, { explicit, configPath }));
    });
}

async function serveCommand(
  options: ServeCommandOptions,
  context: { explicit?: (flag: keyof ServeFlags) => boolean; configPath?: string } = {},
): Promise<number> {
  const explicit = context.explicit ?? (() => true);
  // Loaded when serve runs: the config loader costs `keepsync --help` ~300 ms of start-up.
  const { loadServerSection, serveSettings } = await import('./serve-config.js');
  const section = await loadServerSection(context.configPath);
  const settings = serveSettings(options, explicit, section);
  if (!settings.postgres) {
    const folder = dirname(resolve(settings.db));
    if (!existsSync(folder)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `--db ${settings.db}: the folder ${folder} does not exist`,
      );
    }
  }
  if (!settings.auth) {
    process.stderr.write(
      `keepsync: warning: ${explicit('auth') ? '--no-auth' : '`server.auth: false`'} accepts every request without a token; use it for local development only\n`,
    );
  }
  // Loaded here, not at start-up: every other command starts without the server.
  const { pino } = await import('pino');
  const { createSyncServer, openPostgresDocumentStore, openSqliteDocumentStore } = await import(
    '../server/index.js'
  );
  // Logs go to stderr; stdout carries only the one "listening" line scripts wait for.
  const logger = pino(
    { level: options.logLevel, base: { service: 'keepsync-sync' } },
    pino.destination(2),
  );
  if (options.jwtSecret) {
    logger.warn(
      '--jwt-secret puts the secret in the process arguments, readable by any local user (ps); set KEEPSYNC_JWT_SECRET instead',
    );
  }
  const store: DocumentStore = settings.postgres
    ? await openPostgresDocumentStore({
        connectionString: settings.postgres,
        preparedStatements: settings.preparedStatements,
      })
    : openSqliteDocumentStore({ path: settings.db });
  const server = await createSyncServer({
    ...settings.server,
    store,
    auth: settings.auth,
    logger,
    metricsToken: process.env.KEEPSYNC_METRICS_TOKEN || undefined,
  });
  // The signal handlers go in before the "listening" line: a script may send SIGTERM the moment
  // it reads that line, and a signal with no handler kills the process uncleanly.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'sync server shutting down');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  let url: string;
  try {
    ({ url } = await server.listen({ port: settings.port, host: settings.host }));
  } catch (error) {
    // A port in use: the store's connections and its checkpoint worker go before the error is
    // reported, so the process ends with its exit code instead of staying up doing nothing.
    await store.close();
    throw error;
  }
  process.stdout.write(
    `keepsync sync server listening on ${url} (${settings.postgres ? 'PostgreSQL' : `SQLite ${settings.db}`}, node ${server.node})\n`,
  );
  await stopped;
  await server.close();
  await store.close();
  logger.flush();
  return EXIT.ok;
}
