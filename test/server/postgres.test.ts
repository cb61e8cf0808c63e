import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { openPostgresDocumentStore } from '../../src/server/index.js';
import { freshDatabase } from '../support/postgres.js';
import { startServer, token, upsert } from './helpers.js';
import { describeActorProtocol } from './protocol-actor-suite.js';
import { describeClockProtocol } from './protocol-clock-suite.js';
import { describeFullEndProtocol } from './protocol-full-end-suite.js';
import { describeFullRowsProtocol } from './protocol-full-rows-suite.js';
import { describeFullScopeProtocol } from './protocol-full-scope-suite.js';
import { describeIncomingProtocol } from './protocol-incoming-suite.js';
import { describeInputProtocol } from './protocol-input-suite.js';
import { describeOpenApiProtocol } from './protocol-openapi-suite.js';
import { describePrivacyProtocol } from './protocol-privacy-suite.js';
import { describeSessionProtocol } from './protocol-session-suite.js';
import { describeStreamProtocol } from './protocol-stream-suite.js';
import { describeSyncProtocol } from './protocol-suite.js';

const database = freshDatabase('sync');
afterAll(() => database.drop());

describeSyncProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeClockProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeInputProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeSessionProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeIncomingProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeActorProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeFullScopeProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeStreamProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeOpenApiProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeFullEndProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describeFullRowsProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);
describePrivacyProtocol('PostgreSQL', async () =>
  openPostgresDocumentStore({ connectionString: await database.url() }),
);

it('adds edit times to a database made before them, filled from the stored versions', async () => {
  const connectionString = await database.url();
  const version = '001700000000000-000000-node';
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA before_edit_times;
      CREATE TABLE before_edit_times.sync_documents (
        scope TEXT COLLATE "C" NOT NULL, collection TEXT COLLATE "C" NOT NULL,
        doc_id TEXT COLLATE "C" NOT NULL, data TEXT, version TEXT COLLATE "C" NOT NULL,
        deleted BOOLEAN NOT NULL DEFAULT FALSE, updated_ms BIGINT NOT NULL,
        PRIMARY KEY (scope, collection, doc_id)
      );`);
    await client.query(
      `INSERT INTO before_edit_times.sync_documents VALUES ('s', 'tasks', 'd', '{"v":1}', $1, FALSE, 1)`,
      [version],
    );
  } finally {
    await client.end();
  }
  for (let open = 0; open < 2; open++) {
    const store = await openPostgresDocumentStore({
      connectionString,
      schema: 'before_edit_times',
    });
    expect(await store.getDocument('s', 'tasks', 'd')).toMatchObject({
      version,
      editVersion: version,
    });
    await store.close();
  }
});

it('adds actors to a schema made before them, keeping every document and oplog entry', async () => {
  const connectionString = await database.url();
  const version = '001700000000000-000000-node';
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA before_actors;
      CREATE TABLE before_actors.sync_documents (
        scope TEXT COLLATE "C" NOT NULL, collection TEXT COLLATE "C" NOT NULL,
        doc_id TEXT COLLATE "C" NOT NULL, data TEXT, version TEXT COLLATE "C" NOT NULL,
        deleted BOOLEAN NOT NULL DEFAULT FALSE, updated_ms BIGINT NOT NULL,
        edit_version TEXT COLLATE "C" NOT NULL, PRIMARY KEY (scope, collection, doc_id)
      );
      CREATE TABLE before_actors.sync_oplog (
        seq BIGSERIAL PRIMARY KEY, scope TEXT COLLATE "C" NOT NULL,
        collection TEXT COLLATE "C" NOT NULL, doc_id TEXT COLLATE "C" NOT NULL, op TEXT NOT NULL,
        version TEXT COLLATE "C" NOT NULL, data TEXT, client_id TEXT, change_id TEXT,
        created_ms BIGINT NOT NULL
      );`);
    await client.query(
      `INSERT INTO before_actors.sync_documents VALUES ('s', 'tasks', 'd', '{"v":1}', $1, FALSE, 1, $1)`,
      [version],
    );
    await client.query(
      `INSERT INTO before_actors.sync_oplog (scope, collection, doc_id, op, version, data, client_id, created_ms)
       VALUES ('s', 'tasks', 'd', 'upsert', $1, '{"v":1}', 'phone', 1)`,
      [version],
    );
  } finally {
    await client.end();
  }
  for (let open = 0; open < 2; open++) {
    const store = await openPostgresDocumentStore({ connectionString, schema: 'before_actors' });
    expect(await store.getDocument('s', 'tasks', 'd')).toMatchObject({
      data: '{"v":1}',
      version,
      actorId: null,
    });
    const page = await store.pull({ scope: 's', afterSeq: 0, collections: null, limit: 10 });
    expect(page.entries).toMatchObject([
      { seq: 1, docId: 'd', clientId: 'phone', actorId: null, data: '{"v":1}' },
    ]);
    await store.close();
  }
  const store = await openPostgresDocumentStore({ connectionString, schema: 'before_actors' });
  const running = await startServer(store);
  try {
    const jwt = await token({ sub: 'carol', tenant: 's' }, { expiresIn: '1h' });
    await running.push(jwt, { client_id: 'c', changes: [upsert('e', { v: 2 })] });
    expect(await store.getDocument('s', 'tasks', 'e')).toMatchObject({ actorId: 'carol' });
  } finally {
    await running.close();
    await store.close();
  }
});
