/**
 * One engine process for the two-way fencing test: runs the two-way task `t` once, left
 * table -> empty right table in pages (batches) of 20, each side write journaled with the
 * engine's name. With `stall`, it stops itself (SIGSTOP) right after its first committed
 * batch and prints READY first, so the stall lands between two batches every time.
 *
 *   node --import tsx test/twoway/lease-worker.ts <store.db> <sides.db> <owner> <leaseTtlMs> [stall]
 */
import Database from 'better-sqlite3';
import { Engine } from '../../src/engine/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { defineTwoWay, type Side, type TwoWaySide } from '../../src/twoway/index.js';

const [storePath, sidesPath, owner, ttl, stall] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string | undefined,
];

const db = new Database(sidesPath);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');

/** A side over one table of the sides database; every write lands in the journal too. */
function tableSide(side: Side): TwoWaySide {
  const table = `${side}_items`;
  const all = db.prepare(`SELECT key, title FROM ${table} ORDER BY key`);
  const upsert = db.prepare(
    `INSERT INTO ${table} (key, title) VALUES (?, ?)
     ON CONFLICT (key) DO UPDATE SET title = excluded.title`,
  );
  const remove = db.prepare(`DELETE FROM ${table} WHERE key = ?`);
  const journal = db.prepare('INSERT INTO journal (owner, side, key, kind) VALUES (?, ?, ?, ?)');
  return {
    name: table,
    mode: 'full',
    async *read() {
      const rows = all.all() as { key: string; title: string }[];
      yield {
        records: rows.map((row) => ({ key: row.key, fields: { title: row.title } })),
        cursor: null,
      };
    },
    async write(writes) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      db.transaction(() => {
        for (const write of writes) {
          if (write.kind === 'upsert') upsert.run(write.key, write.fields.title ?? null);
          else remove.run(write.key);
          journal.run(owner, side, write.key, write.kind);
        }
      })();
      return writes.map(() => ({ status: 'ok' as const }));
    },
  };
}

const store = openSqliteStore({ path: storePath, secretKey: new Uint8Array(32) });
const task = defineTwoWay({
  name: 't',
  left: tableSide('left'),
  right: tableSide('right'),
  fields: { title: 'title' },
  batchSize: 20,
});
let stalled = false;
const engine = await Engine.create({
  store,
  pipelines: [],
  tasks: [task],
  owner,
  leaseTtlMs: Number(ttl),
  onProgress: () => {
    if (stall !== 'stall' || stalled) return;
    stalled = true;
    process.stdout.write('READY\n');
    process.kill(process.pid, 'SIGSTOP');
  },
});
const results = await engine.runOnce();
process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
await store.close();
db.close();
