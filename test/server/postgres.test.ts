import { afterAll } from 'vitest';
import { openPostgresDocumentStore } from '../../src/server/index.js';
import { freshDatabase } from './pg-helpers.js';
import { describeSyncProtocol } from './protocol-suite.js';

const database = freshDatabase('sync');
afterAll(() => database.drop());

describeSyncProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
