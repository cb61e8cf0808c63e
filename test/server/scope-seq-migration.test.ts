import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DocumentStore,
  openPostgresDocumentStore,
  openSqliteDocumentStore,
} from '../../src/server/index.js';
import { freshDatabase } from '../support/postgres.js';
import { openStream, startServer, tempSqlitePath, token, upsert } from './helpers.js';

/**
 * A store written when seqs were store-wide: entries 1-6 of scopes a and b interleaved, 1-2
 * pruned, and scope c holding a document whose entries are all gone. Clients hold cursors
 * handed out then (global seqs).
 */
const OLD_ENTRIES: Array<[seq: number, scope: string, docId: string]> = [
  [3, 'a', 'a3'],
  [4, 'b', 'b4'],
  [5, 'b', 'b5'],
  [6, 'a', 'a6'],
];
const VERSION = (seq: number) => `00170000000000${seq}-000000-old`;
const OLD_DOCUMENTS: Array<[scope: string, docId: string]> = [
  ['a', 'a3'],
  ['a', 'a6'],
  ['b', 'b4'],
  ['b', 'b5'],
  ['c', 'c1'],
];

interface PullAnswer {
  changes: Array<{ seq: number; doc_id: string }>;
  last_seq: string;
  full_resync_required?: boolean;
  reason?: string;
}

async function resumesOldCursors(open: () => Promise<DocumentStore>): Promise<void> {
  const store = await open();
  const running = await startServer(store);
  try {
    const jwt = (tenant: string) => token({ sub: 'u', tenant }, { expiresIn: '1h' });
    const a = await jwt('a');
    const b = await jwt('b');
    const c = await jwt('c');
    const d = await jwt('d');
    const pull = async (tokenText: string, since: string) =>
      (await (await running.pull(tokenText, { since })).json()) as PullAnswer;
    const seqs = (answer: PullAnswer) =>
      answer.changes.map((change) => [change.seq, change.doc_id]);

    // Old cursors mean what they meant: everything of the scope up to that global seq.
    expect(await pull(a, '0')).toMatchObject({ full_resync_required: true, reason: 'retention' });
    const fromTwo = await pull(a, '2');
    expect([seqs(fromTwo), fromTwo.last_seq]).toEqual([
      [
        [3, 'a3'],
        [6, 'a6'],
      ],
      '6',
    ]);
    expect(seqs(await pull(a, '4'))).toEqual([[6, 'a6']]);
    // The old empty-pull cursor (the store's highest seq then): nothing missed, no resync.
    expect(await pull(a, '6')).toMatchObject({ changes: [], last_seq: '6' });
    expect(await pull(c, '6')).toMatchObject({ changes: [], last_seq: '6' });

    // After the migration, another scope's writes no longer move this scope's numbers.
    const push = async (tokenText: string, docIds: string[]) => {
      const response = await running.push(tokenText, {
        client_id: 'device',
        changes: docIds.map((docId) => upsert(docId, { docId })),
      });
      expect(response.status).toBe(200);
    };
    await push(b, ['b7', 'b8', 'b9', 'b10', 'b11']);
    await push(a, ['a-new']);
    const resumed = await pull(a, '6');
    expect([seqs(resumed), resumed.last_seq]).toEqual([[[7, 'a-new']], '7']);
    expect(seqs(await pull(a, '4'))).toEqual([
      [6, 'a6'],
      [7, 'a-new'],
    ]);
    expect(seqs(await pull(b, '5'))).toEqual([
      [7, 'b7'],
      [8, 'b8'],
      [9, 'b9'],
      [10, 'b10'],
      [11, 'b11'],
    ]);
    const full = await running.request('/sync/full?collections=tasks', { token: a });
    expect(full.headers.get('x-sync-lastseq')).toBe('7');
    await full.text();

    const stream = await openStream(running.url, `?token=${a}`);
    stream.send({ type: 'subscribe', since: '6', collections: ['tasks'] });
    expect(await stream.next((message) => message.type === 'change', 20_000)).toMatchObject({
      seq: 7,
      doc_id: 'a-new',
    });
    expect(await stream.next((message) => message.type === 'caught_up', 20_000)).toMatchObject({
      last_seq: '7',
    });
    stream.close();

    // A scope that did not exist then counts from 1.
    await push(d, ['d1']);
    expect(seqs(await pull(d, '0'))).toEqual([[1, 'd1']]);
  } finally {
    await running.close();
    await store.close();
  }
  // Opening again migrates nothing twice.
  const again = await open();
  try {
    expect(await again.lastSeq('a')).toBe(7);
    expect(await again.lastSeq('b')).toBe(11);
    expect(await again.lastSeq('c')).toBe(6);
    expect(await again.retention('a')).toMatchObject({ prunedThroughSeq: 2 });
  } finally {
    await again.close();
  }
}

describe('a store made when seqs were store-wide', () => {
  it('on SQLite: numbers seqs per scope from the recorded base, so old cursors resume', async () => {
    const path = tempSqlitePath();
    const old = new Database(path);
    old.exec(`CREATE TABLE sync_documents (
      scope TEXT NOT NULL, collection TEXT NOT NULL, doc_id TEXT NOT NULL, data TEXT,
      version TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL,
      edit_version TEXT NOT NULL, actor_id TEXT, PRIMARY KEY (scope, collection, doc_id)
    ) WITHOUT ROWID;
    CREATE TABLE sync_oplog (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, collection TEXT NOT NULL,
      doc_id TEXT NOT NULL, op TEXT NOT NULL, version TEXT NOT NULL, data TEXT, client_id TEXT,
      change_id TEXT, actor_id TEXT, created_ms INTEGER NOT NULL
    );
    CREATE INDEX sync_oplog_by_scope ON sync_oplog (scope, seq);
    CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`);
    const entry = old.prepare(
      `INSERT INTO sync_oplog (seq, scope, collection, doc_id, op, version, data, created_ms)
       VALUES (?, ?, 'tasks', ?, 'upsert', ?, '{}', ?)`,
    );
    // Entries 1 and 2 existed and were pruned: the sequence is past them.
    entry.run(1, 'a', 'a1', VERSION(1), Date.now());
    entry.run(2, 'b', 'b2', VERSION(2), Date.now());
    for (const [seq, scope, docId] of OLD_ENTRIES) {
      entry.run(seq, scope, docId, VERSION(seq), Date.now());
    }
    old.exec('DELETE FROM sync_oplog WHERE seq <= 2');
    old.exec("INSERT INTO sync_meta VALUES ('pruned_through_seq', 2), ('pruned_before_ms', 1)");
    const doc = old.prepare(
      `INSERT INTO sync_documents VALUES (?, 'tasks', ?, '{}', ?, 0, 1, ?, NULL)`,
    );
    for (const [scope, docId] of OLD_DOCUMENTS) doc.run(scope, docId, VERSION(1), VERSION(1));
    old.close();
    await resumesOldCursors(async () => openSqliteDocumentStore({ path }));
    // A server of the older version still writing to the file is refused, not stored unseen.
    const stale = new Database(path);
    expect(() =>
      stale
        .prepare(
          `INSERT INTO sync_oplog (scope, collection, doc_id, op, version, data, created_ms)
           VALUES ('a', 'tasks', 'late', 'upsert', ?, '{}', 1)`,
        )
        .run(VERSION(9)),
    ).toThrow(/upgrade every keepsync server/);
    stale.close();
  }, 60_000);

  describe('on PostgreSQL', () => {
    const database = freshDatabase('scopeseq');
    afterAll(() => database.drop());

    it('numbers seqs per scope from the recorded base, so old cursors resume', async () => {
      const connectionString = await database.url();
      const client = new pg.Client({ connectionString });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA old_seqs;
        CREATE TABLE old_seqs.sync_documents (
          scope TEXT COLLATE "C" NOT NULL, collection TEXT COLLATE "C" NOT NULL,
          doc_id TEXT COLLATE "C" NOT NULL, data TEXT, version TEXT COLLATE "C" NOT NULL,
          deleted BOOLEAN NOT NULL DEFAULT FALSE, updated_ms BIGINT NOT NULL,
          edit_version TEXT COLLATE "C" NOT NULL, actor_id TEXT,
          PRIMARY KEY (scope, collection, doc_id)
        );
        CREATE TABLE old_seqs.sync_oplog (
          seq BIGSERIAL PRIMARY KEY, scope TEXT COLLATE "C" NOT NULL,
          collection TEXT COLLATE "C" NOT NULL, doc_id TEXT COLLATE "C" NOT NULL, op TEXT NOT NULL,
          version TEXT COLLATE "C" NOT NULL, data TEXT, client_id TEXT, change_id TEXT,
          actor_id TEXT, created_ms BIGINT NOT NULL
        );
        CREATE INDEX sync_oplog_by_scope ON old_seqs.sync_oplog (scope, seq);
        CREATE TABLE old_seqs.sync_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
        INSERT INTO old_seqs.sync_meta VALUES ('pruned_through_seq', 2), ('pruned_before_ms', 1);`);
        for (const [seq, scope, docId] of OLD_ENTRIES) {
          await client.query(
            `INSERT INTO old_seqs.sync_oplog (seq, scope, collection, doc_id, op, version, data, created_ms)
             VALUES ($1, $2, 'tasks', $3, 'upsert', $4, '{}', $5)`,
            [seq, scope, docId, VERSION(seq), Date.now()],
          );
        }
        // The sequence had handed out 1-6 (1 and 2 since pruned).
        await client.query(
          "SELECT setval(pg_get_serial_sequence('old_seqs.sync_oplog', 'seq'), 6)",
        );
        for (const [scope, docId] of OLD_DOCUMENTS) {
          await client.query(
            `INSERT INTO old_seqs.sync_documents VALUES ($1, 'tasks', $2, '{}', $3, false, 1, $3, NULL)`,
            [scope, docId, VERSION(1)],
          );
        }
      } finally {
        await client.end();
      }
      await resumesOldCursors(() =>
        openPostgresDocumentStore({ connectionString, schema: 'old_seqs' }),
      );
      // A server of the older version still writing to the schema is refused, not stored unseen.
      const stale = new pg.Client({ connectionString });
      await stale.connect();
      try {
        await expect(
          stale.query(
            `INSERT INTO old_seqs.sync_oplog (scope, collection, doc_id, op, version, data, created_ms)
             VALUES ('a', 'tasks', 'late', 'upsert', $1, '{}', 1)`,
            [VERSION(9)],
          ),
        ).rejects.toThrow(/scope_seq/);
      } finally {
        await stale.end();
      }
    }, 60_000);
  });
});
