import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { openSqliteDocumentStore } from '../../src/server/index.js';
import { sqliteStore, startServer, tempSqlitePath, token, upsert } from './helpers.js';
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

describeSyncProtocol('SQLite', async () => sqliteStore());
describeClockProtocol('SQLite', async () => sqliteStore());
describeInputProtocol('SQLite', async () => sqliteStore());
describeSessionProtocol('SQLite', async () => sqliteStore());
describeIncomingProtocol('SQLite', async () => sqliteStore());
describeActorProtocol('SQLite', async () => sqliteStore());
describeFullScopeProtocol('SQLite', async () => sqliteStore());
describeStreamProtocol('SQLite', async () => sqliteStore());
describeOpenApiProtocol('SQLite', async () => sqliteStore());
describeFullEndProtocol('SQLite', async () => sqliteStore());
describeFullRowsProtocol('SQLite', async () => sqliteStore());
describePrivacyProtocol('SQLite', async () => sqliteStore());

it('adds edit times to a database made before them, filled from the stored versions', async () => {
  const path = tempSqlitePath();
  const old = new Database(path);
  old.exec(`CREATE TABLE sync_documents (
    scope TEXT NOT NULL, collection TEXT NOT NULL, doc_id TEXT NOT NULL, data TEXT,
    version TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, collection, doc_id)
  ) WITHOUT ROWID`);
  const version = '001700000000000-000000-node';
  old
    .prepare('INSERT INTO sync_documents VALUES (?, ?, ?, ?, ?, 0, 1)')
    .run('s', 'tasks', 'd', '{"v":1}', version);
  old.close();
  for (let open = 0; open < 2; open++) {
    const store = openSqliteDocumentStore({ path });
    expect(await store.getDocument('s', 'tasks', 'd')).toMatchObject({
      version,
      editVersion: version,
    });
    await store.close();
  }
});

it('adds actors to a database made before them, keeping every document and oplog entry', async () => {
  const path = tempSqlitePath();
  const old = new Database(path);
  old.exec(`CREATE TABLE sync_documents (
    scope TEXT NOT NULL, collection TEXT NOT NULL, doc_id TEXT NOT NULL, data TEXT,
    version TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL,
    edit_version TEXT NOT NULL, PRIMARY KEY (scope, collection, doc_id)
  ) WITHOUT ROWID;
  CREATE TABLE sync_oplog (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, collection TEXT NOT NULL,
    doc_id TEXT NOT NULL, op TEXT NOT NULL, version TEXT NOT NULL, data TEXT, client_id TEXT,
    change_id TEXT, created_ms INTEGER NOT NULL
  );`);
  const version = '001700000000000-000000-node';
  old
    .prepare('INSERT INTO sync_documents VALUES (?, ?, ?, ?, ?, 0, 1, ?)')
    .run('s', 'tasks', 'd', '{"v":1}', version, version);
  old
    .prepare(
      "INSERT INTO sync_oplog (scope, collection, doc_id, op, version, data, client_id, created_ms) VALUES ('s', 'tasks', 'd', 'upsert', ?, '{\"v\":1}', 'phone', 1)",
    )
    .run(version);
  old.close();
  for (let open = 0; open < 2; open++) {
    const store = openSqliteDocumentStore({ path });
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
  const store = openSqliteDocumentStore({ path });
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
