/**
 * The client bench's bootstrap scenario alone, for comparing two checkouts back to back (the
 * client and the server from each checkout's build): an empty memory-store client against
 * `keepsync serve` (SQLite, child process) until a local query (`done` rows, as in
 * bench/client.bench.ts) answers with all 100,000 documents. The wait is the client's own:
 * `await client.sync()` after `start()` resolves when the first round (the full resync and a
 * pull) is over, then the query runs once. `--wait poll` runs the query
 * every millisecond until it counts every row instead (the measure before round 7, whose
 * queries take CPU from the bootstrap). Per run: wall time, this process's CPU time
 * (`process.cpuUsage`, far less sensitive to machine load than wall time) and the server's
 * (/proc), requests, and how many queries ran and how long they took.
 *
 *   node --import tsx bench/client-bootstrap.bench.ts [--root DIR] [--runs 3] [--docs 100000]
 *     [--page-size N] [--seed-db FILE] [--timeline] [--wait sync|poll]
 *
 * `--root` runs another checkout's client and server (e.g. a `git worktree` of the parent
 * commit, sharing this one's node_modules); `--seed-db` keeps the seeded store in FILE and
 * copies it on later runs (seeding 100,000 documents takes longer than the bootstrap);
 * `--timeline` prints each `/sync/full` response's request, headers, first and last byte times.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import type * as ClientModule from '../src/client/index.js';
import { buildCheckoutWhenStale } from '../test/setup/build.js';
import { freePort, startSyncServer, stopChild } from './support/sync-server.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const root = resolve(option('root') ?? join(import.meta.dirname, '..'));
const RUNS = Number(option('runs') ?? 3);
const DOCS = Number(option('docs') ?? 100_000);
const PAGE_SIZE = option('page-size') === undefined ? undefined : Number(option('page-size'));
const SEED_DB = option('seed-db');
const TIMELINE = args.includes('--timeline');
const WAIT = option('wait') ?? 'sync';
if (WAIT !== 'sync' && WAIT !== 'poll')
  throw new Error(`Expected --wait sync or poll, got ${WAIT}`);
const SECRET = 'bench-secret-0123456789abcdefghij';

// The client as users import it: the checkout's build (made first when its src/ is newer).
buildCheckoutWhenStale(root);
const { createMemoryStore, createSyncClient } = (await import(
  join(root, 'dist/client/index.js')
)) as typeof ClientModule;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A child's CPU time (user + system) so far, from /proc (clock ticks of 10 ms). */
function childCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const doc = (index: number) => ({
  title: `Task ${index}`,
  done: index % 3 === 0,
  priority: index % 5,
  tags: ['bench', `t${index % 10}`],
  note: 'x'.repeat(80),
});

async function seed(url: string, jwt: string): Promise<void> {
  for (let start = 0; start < DOCS; start += 1000) {
    const changes = [];
    for (let i = start; i < Math.min(DOCS, start + 1000); i++) {
      changes.push({
        collection: 'tasks',
        operation: 'upsert',
        doc_id: `task-${String(i).padStart(6, '0')}`,
        data: doc(i),
        parent_version: null,
      });
    }
    const response = await fetch(`${url}/sync/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'seed', changes }),
    });
    if (!response.ok) throw new Error(`seed failed: ${response.status} ${await response.text()}`);
  }
}

interface PageTimes {
  requested: number;
  headers: number;
  firstByte: number;
  lastByte: number;
  bytes: number;
}

/** fetch that counts requests and, with `--timeline`, times each `/sync/full` body. */
function countingFetch(started: number, pages: PageTimes[]) {
  let requests = 0;
  const since = () => Math.round(performance.now() - started);
  const counted = (async (input: string | URL | Request, init?: RequestInit) => {
    requests += 1;
    const requested = since();
    const response = await fetch(input, init);
    if (!TIMELINE || !String(input).includes('/sync/full') || !response.body) return response;
    const page: PageTimes = { requested, headers: since(), firstByte: 0, lastByte: 0, bytes: 0 };
    pages.push(page);
    const timed = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        page.firstByte ||= since();
        page.lastByte = since();
        page.bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(timed), {
      status: response.status,
      headers: response.headers,
    });
  }) as typeof fetch;
  return { fetch: counted, requests: () => requests };
}

const dir = mkdtempSync(join(tmpdir(), 'keepsync-bootstrap-bench-'));
const db = join(dir, 'sync.db');
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const jwt = await new SignJWT({ sub: 'bench', tenant: 'bootstrap' })
  .setProtectedHeader({ alg: 'HS256' })
  .setExpirationTime('2h')
  .sign(new TextEncoder().encode(SECRET));
let server: ChildProcess | undefined;
const runs: unknown[] = [];
const walls: number[] = [];
const cpus: number[] = [];
try {
  if (SEED_DB && existsSync(SEED_DB)) copyFileSync(SEED_DB, db);
  server = await startSyncServer(root, db, port, SECRET);
  if (!SEED_DB || !existsSync(SEED_DB)) {
    await seed(url, jwt);
    if (SEED_DB) {
      await stopChild(server);
      copyFileSync(db, SEED_DB);
      server = await startSyncServer(root, db, port, SECRET);
    }
  }
  const expectedDone = Math.ceil(DOCS / 3);
  for (let run = 0; run < RUNS; run++) {
    const pages: PageTimes[] = [];
    const cpuBefore = process.cpuUsage();
    const serverCpuBefore = childCpuMs(server.pid!);
    const started = performance.now();
    const net = countingFetch(started, pages);
    const client = await createSyncClient({
      url,
      collections: ['tasks'],
      store: createMemoryStore(),
      getToken: () => jwt,
      fetch: net.fetch,
      live: false,
      fullResyncPageSize: PAGE_SIZE,
    });
    await client.start();
    if (WAIT === 'sync') await client.sync();
    let queries = 0;
    let queryMs = 0;
    for (;;) {
      const queryStarted = performance.now();
      const done = client.query('tasks', (row) => row.data.done === true).length;
      queryMs += performance.now() - queryStarted;
      queries += 1;
      if (done === expectedDone) break;
      if (WAIT === 'sync') throw new Error(`synced with ${done} of ${expectedDone} done rows`);
      await sleep(1);
    }
    const wallMs = Math.round(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    const serverCpuMs = childCpuMs(server.pid!) - serverCpuBefore;
    walls.push(wallMs);
    cpus.push(cpuMs);
    runs.push({
      wallMs,
      cpuMs,
      serverCpuMs,
      requests: net.requests(),
      queries,
      queryMs: Math.round(queryMs),
    });
    if (TIMELINE) console.log(`run ${run + 1} /sync/full responses (ms since start):`, pages);
    await client.close();
  }
} finally {
  if (server) await stopChild(server);
  rmSync(dir, { recursive: true, force: true });
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  JSON.stringify({
    root,
    date: new Date().toISOString(),
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    docs: DOCS,
    pageSize: PAGE_SIZE ?? 'client default',
    wait: WAIT,
    runs,
    medianWallMs: median(walls),
    medianCpuMs: median(cpus),
  }),
);
