/**
 * One engine process for the fencing test: runs unit `u` of pipeline `p` once (400 records in
 * pages of 10, each page a slow destination write) and prints READY after its first committed
 * page, then its results as JSON. Every destination write is journaled with the engine's name.
 *
 *   node --import tsx test/engine/lease-worker.ts <store.db> <destination.db> <owner> <leaseTtlMs>
 */
import Database from 'better-sqlite3';
import * as memory from '../../src/connectors/memory/index.js';
import { Engine } from '../../src/engine/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { type Destination, definePipeline } from '../../src/sync/index.js';

const [storePath, destinationPath, owner, ttl] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];

function journaled(): Destination {
  const db = new Database(destinationPath);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS writes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, key TEXT NOT NULL)`);
  const insert = db.prepare('INSERT INTO writes (owner, key) VALUES (?, ?)');
  return {
    name: 'journaled',
    async open() {
      return {
        async lookup(keys) {
          return new Map(keys.map((key) => [key, `id-${key}`]));
        },
        async write(ops) {
          await new Promise((resolve) => setTimeout(resolve, 30));
          for (const op of ops) insert.run(owner, op.key);
          return ops.map((op) => ({ status: 'ok' as const, destId: `id-${op.key}` }));
        },
        async close() {},
      };
    },
  };
}

const store = openSqliteStore({ path: storePath, secretKey: new Uint8Array(32) });
const pipeline = definePipeline({
  name: 'p',
  source: memory.source({
    units: { u: { count: 400, record: (index) => ({ key: `k${index}`, fields: { index } }) } },
    pageSize: 10,
  }),
  destination: journaled(),
});
let ready = false;
const engine = await Engine.create({
  store,
  pipelines: [pipeline],
  owner,
  leaseTtlMs: Number(ttl),
  onProgress: () => {
    if (ready) return;
    ready = true;
    process.stdout.write('READY\n');
  },
});
const results = await engine.runOnce();
process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
await store.close();
