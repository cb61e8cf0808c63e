// RxDB peer of bench/client.bench.ts: its WebSocket replication server (memory storage) in a
// child process, Node clients (memory storage) here, the same scenarios as keepsync's.
//   node bench/peers/rxdb/peer.mjs [--docs 100000] [--writes 200]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRxDatabase } from 'rxdb';
import {
  replicateWithWebsocketServer,
  startWebsocketServer,
} from 'rxdb/plugins/replication-websocket';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const DOCS = arg('docs', 100_000);
const WRITES = arg('writes', 200);
const schema = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 100 },
    title: { type: 'string' },
    done: { type: 'boolean' },
    priority: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' } },
    note: { type: 'string' },
  },
  required: ['id'],
};
const doc = (id, index) => ({
  id,
  title: `Task ${index}`,
  done: index % 3 === 0,
  priority: index % 5,
  tags: ['bench', `t${index % 10}`],
  note: 'x'.repeat(80),
});
const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const round = (value) => Math.round(value * 10) / 10;
let names = 0;

async function database(name) {
  const db = await createRxDatabase({
    name: `${name}-${++names}`,
    storage: getRxStorageMemory(),
    multiInstance: false,
  });
  await db.addCollections({ tasks: { schema } });
  return db;
}

if (args[0] === 'serve') {
  const db = await database('server');
  for (let start = 0; start < DOCS; start += 5000) {
    const batch = [];
    for (let i = start; i < Math.min(DOCS, start + 5000); i++)
      batch.push(doc(`task-${String(i).padStart(6, '0')}`, i));
    await db.tasks.bulkInsert(batch);
  }
  // A port of the system's choosing: a random one collided with a port in use (EADDRINUSE).
  const { server } = startWebsocketServer({
    database: db,
    host: '127.0.0.1',
    port: 0,
    path: '/socket',
  });
  await new Promise((resolve) => server.once('listening', resolve));
  process.stdout.write(`rxdb listening on ${server.address().port}\n`);
} else {
  const server = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), 'serve', '--docs', String(DOCS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`the RxDB server exited (${code})`)));
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
  });
  const url = `ws://127.0.0.1:${port}/socket`;
  const results = {};
  async function client() {
    const db = await database('client');
    const replication = await replicateWithWebsocketServer({
      collection: db.tasks,
      url,
      replicationIdentifier: 'bench',
      live: true,
    });
    return { db, replication };
  }
  try {
    const started = performance.now();
    const a = await client();
    await a.replication.awaitInitialReplication();
    const done = await a.db.tasks.count({ selector: { done: true } }).exec();
    results.bootstrap = { docs: DOCS, ms: round(performance.now() - started), doneRows: done };
    console.log('rxdb bootstrap', results.bootstrap);

    const b = await client();
    await b.replication.awaitInitialReplication();
    const times = [];
    for (let i = 0; i < WRITES; i++) {
      const id = `p${i}`;
      const arrived = new Promise((resolve) => {
        const sub = b.db.tasks.findOne(id).$.subscribe((found) => {
          if (found) {
            queueMicrotask(() => sub.unsubscribe());
            resolve();
          }
        });
      });
      const t = performance.now();
      await a.db.tasks.insert(doc(id, i));
      await arrived;
      times.push(performance.now() - t);
    }
    results.propagation = {
      writes: WRITES,
      p50Ms: round(quantile(times, 0.5)),
      p95Ms: round(quantile(times, 0.95)),
      p99Ms: round(quantile(times, 0.99)),
    };
    console.log('rxdb propagation', results.propagation);

    for (const [name, count] of [
      ['offlineReplay', 10],
      ['largeOfflineQueue', 1000],
    ]) {
      // Offline: the writer's replication is paused while it writes.
      await a.replication.pause();
      for (let i = 0; i < count; i++) await a.db.tasks.insert(doc(`${name}-${i}`, i));
      const t = performance.now();
      const seen = new Promise((resolve) => {
        const sub = b.db.tasks
          .count({ selector: { id: { $regex: `^${name}-` } } })
          .$.subscribe((n) => {
            if (n === count) {
              queueMicrotask(() => sub.unsubscribe());
              resolve();
            }
          });
      });
      await a.replication.start();
      await seen;
      results[name] = { writes: count, ms: round(performance.now() - t) };
      console.log(`rxdb ${name}`, results[name]);
    }
    console.log(JSON.stringify(results));
    await a.db.close();
    await b.db.close();
  } finally {
    server.kill('SIGKILL');
  }
  process.exit(0);
}
