import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { openSqliteDocumentStore } from '../../src/server/index.js';
import { sqliteStore, tempSqlitePath } from './helpers.js';
import { describeClockProtocol } from './protocol-clock-suite.js';
import { describeIncomingProtocol } from './protocol-incoming-suite.js';
import { describeInputProtocol } from './protocol-input-suite.js';
import { describeSessionProtocol } from './protocol-session-suite.js';
import { describeSyncProtocol } from './protocol-suite.js';

describeSyncProtocol('SQLite', async () => sqliteStore());
describeClockProtocol('SQLite', async () => sqliteStore());
describeInputProtocol('SQLite', async () => sqliteStore());
describeSessionProtocol('SQLite', async () => sqliteStore());
describeIncomingProtocol('SQLite', async () => sqliteStore());

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
