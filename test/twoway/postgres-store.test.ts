import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openPostgresStore } from '../../src/store/index.js';
import { describeTwoWayStoreConformance } from './store-conformance.js';

const name = `keepsync_twoway_${randomUUID().replaceAll('-', '')}`;

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('pgUrl') });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describeTwoWayStoreConformance(
  'PostgreSQL',
  async () => {
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(inject('pgUrl'));
    url.pathname = `/${name}`;
    return openPostgresStore({ connectionString: url.toString() });
  },
  () => admin(`DROP DATABASE ${name} WITH (FORCE)`),
);
