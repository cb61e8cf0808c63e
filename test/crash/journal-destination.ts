import Database from 'better-sqlite3';
import type { Destination, WriteOp, WriteResult } from '../../src/sync/index.js';

/**
 * A destination shaped like a SaaS API: it assigns its own ids and keeps the record key only
 * as a property, so nothing but keepsync's links and lookup() prevents duplicates.
 */
export function journalDestination(path: string): Destination {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, payload TEXT NOT NULL)`);
  const insert = db.prepare('INSERT INTO objects (key, payload) VALUES (?, ?)');
  const update = db.prepare('UPDATE objects SET payload = ? WHERE id = ?');
  const find = db.prepare(
    'SELECT key, id FROM objects WHERE key IN (SELECT value FROM json_each(?))',
  );
  return {
    name: 'journal',
    async open() {
      return {
        async lookup(keys) {
          const rows = find.all(JSON.stringify(keys)) as Array<{ key: string; id: number }>;
          return new Map(rows.map((row) => [row.key, String(row.id)]));
        },
        async write(ops) {
          // Each object is its own request, as with a SaaS API: a crash can land between them,
          // and the pause mid-batch makes kills after a partial write common.
          const results: WriteResult[] = [];
          for (const [index, op] of ops.entries()) {
            if (index === Math.floor(ops.length / 2))
              await new Promise((resolve) => setTimeout(resolve, 20));
            results.push(writeOne(op));
          }
          return results;
        },
        async close() {},
      };
    },
  };

  function writeOne(op: WriteOp): WriteResult {
    if (op.kind === 'create') {
      const id = insert.run(op.key, JSON.stringify(op.record.fields)).lastInsertRowid;
      return { status: 'ok', destId: String(id) };
    }
    if (op.kind === 'update') {
      update.run(JSON.stringify(op.record.fields), Number(op.destId));
      return { status: 'ok', destId: op.destId };
    }
    return { status: 'rejected', error: 'journal does not delete' };
  }
}
