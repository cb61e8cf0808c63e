import type { TestProject } from 'vitest/node';
import { startPgServer } from '../support/pg-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL server; suites create their own databases. */
    pgUrl: string;
  }
}

/**
 * Starts one real PostgreSQL server for the whole test run and hands its URL to the tests.
 * A server that cannot start fails the run with PostgreSQL's own output, never a skip.
 */
export default async function startPostgres(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPgServer();
  project.provide('pgUrl', server.url);
  return () => server.close();
}
