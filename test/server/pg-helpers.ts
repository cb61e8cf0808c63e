import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** A database of its own on the run's PostgreSQL server, dropped by `drop()`. */
export function freshDatabase(label: string) {
  const name = `keepsync_${label}_${randomUUID().replaceAll('-', '')}`;
  let created: Promise<string> | undefined;
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
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
        const url = new URL(inject('pgUrl'));
        url.pathname = `/${name}`;
        return url.toString();
      });
      return created;
    },
    async drop(): Promise<void> {
      if (!created) return;
      await created;
      await admin((client) =>
        client.query(`DROP DATABASE ${client.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}
