import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A database of its own on the run's PostgreSQL server (see test/setup/postgres.ts), created on
 * first use, so suites never see each other's rows. `createOptions` is appended to CREATE
 * DATABASE (e.g. a collation). `drop()` ends the pools it handed out, then drops it.
 */
export function freshDatabase(label: string, createOptions = '') {
  const name = `keepsync_${label}_${randomUUID().replaceAll('-', '')}`;
  let created: Promise<string> | undefined;
  const pools: pg.Pool[] = [];

  async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: inject('pgUrl') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  return {
    url(): Promise<string> {
      created ??= admin(async (client) => {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} ${createOptions}`);
        const url = new URL(inject('pgUrl'));
        url.pathname = `/${name}`;
        return url.toString();
      });
      return created;
    },
    /** A pool of the caller's own, ended before the database is dropped. */
    async pool(options: pg.PoolConfig = {}): Promise<pg.Pool> {
      const pool = new pg.Pool({ connectionString: await this.url(), ...options });
      pools.push(pool);
      return pool;
    },
    async drop(): Promise<void> {
      await Promise.all(pools.splice(0).map((pool) => pool.end()));
      if (!created) return;
      await created;
      await admin((client) =>
        client.query(`DROP DATABASE ${client.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}
