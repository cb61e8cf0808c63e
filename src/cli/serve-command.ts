import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { KeepsyncError } from '../model/index.js';
import type { DocumentStore, SyncAuthOptions } from '../server/index.js';
import { EXIT } from './exit-codes.js';
import { parsePort } from './port.js';

export interface ServeCommandOptions {
  port: string;
  host: string;
  db: string;
  postgres?: string;
  jwtSecret?: string;
  jwksUrl?: string;
  scopeClaim?: string;
  actorClaim?: string;
  collections?: string;
  retentionDays: string;
  atomic?: boolean;
  auth: boolean;
  pollMs: string;
  logLevel: string;
}

function whole(value: string, name: string): number {
  if (!/^\d+$/.test(value)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${name} to be a whole number, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

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
    .action(async (options: ServeCommandOptions) => {
      setExitCode(await serveCommand(options));
    });
}

export async function serveCommand(options: ServeCommandOptions): Promise<number> {
  const secret = options.jwtSecret ?? process.env.KEEPSYNC_JWT_SECRET;
  let auth: SyncAuthOptions | false = false;
  if (options.auth) {
    if (!secret && !options.jwksUrl) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        'Give --jwt-secret (or KEEPSYNC_JWT_SECRET) or --jwks-url; --no-auth serves without tokens, for local development only',
      );
    }
    auth = {
      ...(options.jwksUrl ? { jwksUrl: options.jwksUrl } : { secret }),
      scopeClaim: options.scopeClaim,
      actorClaim: options.actorClaim,
    };
  }
  const port = parsePort(options.port, '--port');
  if (!options.postgres) {
    const folder = dirname(resolve(options.db));
    if (!existsSync(folder)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `--db ${options.db}: the folder ${folder} does not exist`,
      );
    }
  }
  if (!options.auth) {
    process.stderr.write(
      'keepsync: warning: --no-auth accepts every request without a token; use it for local development only\n',
    );
  }
  const retentionDays = whole(options.retentionDays, '--retention-days');
  const pollIntervalMs = whole(options.pollMs, '--poll-ms');
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
  const store: DocumentStore = options.postgres
    ? await openPostgresDocumentStore({ connectionString: options.postgres })
    : openSqliteDocumentStore({ path: options.db });
  const server = await createSyncServer({
    store,
    auth,
    collections: options.collections
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    retentionDays,
    atomicPush: options.atomic ?? false,
    pollIntervalMs,
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
  const { url } = await server.listen({ port, host: options.host });
  process.stdout.write(
    `keepsync sync server listening on ${url} (${options.postgres ? 'PostgreSQL' : `SQLite ${options.db}`}, node ${server.node})\n`,
  );
  await stopped;
  await server.close();
  await store.close();
  logger.flush();
  return EXIT.ok;
}
