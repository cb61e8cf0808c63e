/**
 * keepsync/client benchmark: the offline-sync-bench scenarios (bootstrap, online propagation,
 * offline replay, large offline queue, reconnect storm) with Node clients on loopback against
 * `keepsync serve` (SQLite) in a child process; then a new client in headless Chromium loading
 * the documents into IndexedDB, and the client bundle size. Then RxDB's WebSocket replication
 * server (bench/peers/rxdb, its own lockfile, installed on first use) through the same scenarios.
 *
 *   node --import tsx bench/client.bench.ts [--docs 100000] [--storm 500] [--writes 200]
 *     [--page-size N] (the client's fullResyncPageSize; its default when omitted)
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { SignJWT } from 'jose';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import {
  createMemoryStore,
  createSyncClient,
  type SyncClient,
  type WebSocketConstructor,
} from '../src/client/index.js';
import { freePort, startSyncServer } from './support/sync-server.js';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const DOCS = arg('docs', 100_000);
const STORM = arg('storm', 500);
const WRITES = arg('writes', 200);
const PAGE_SIZE = args.includes('--page-size') ? arg('page-size', 0) : undefined;
const SECRET = 'bench-secret-0123456789abcdefghij';

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const median = (values: number[]) => quantile(values, 0.5);
const round = (value: number) => Math.round(value * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const token = (tenant: string, sub = 'bench') =>
  new SignJWT({ sub, tenant })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));

const doc = (index: number) => ({
  title: `Task ${index}`,
  done: index % 3 === 0,
  priority: index % 5,
  tags: ['bench', `t${index % 10}`],
  note: 'x'.repeat(80),
});

async function seed(url: string, jwt: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const changes = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
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

/** fetch and WebSocket that can be switched off, counting requests by path. */
function network() {
  let down = false;
  const sockets = new Set<WebSocket>();
  const requests: string[] = [];
  class Switched extends WebSocket {
    constructor(url: string) {
      super(down ? 'ws://127.0.0.1:1/' : url);
      sockets.add(this);
      this.on('close', () => sockets.delete(this));
    }
  }
  return {
    requests,
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      if (down) throw new TypeError('fetch failed');
      requests.push(new URL(String(input)).pathname);
      return fetch(input, init);
    }) as typeof fetch,
    WebSocket: Switched as unknown as WebSocketConstructor,
    down() {
      down = true;
      for (const socket of sockets) socket.terminate();
    },
    up() {
      down = false;
    },
  };
}

async function client(url: string, jwt: string, net = network(), live = true): Promise<SyncClient> {
  const created = await createSyncClient({
    url,
    collections: ['tasks'],
    store: createMemoryStore(),
    getToken: () => jwt,
    fetch: net.fetch,
    webSocket: net.WebSocket,
    live,
    fullResyncPageSize: PAGE_SIZE,
  });
  await created.start();
  return created;
}

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await sleep(1);
  }
}

/** Resolves when `check` passes, tested after every subscription callback. */
function seen(target: SyncClient, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const stop = target.subscribe('tasks', () => {
      if (check()) {
        queueMicrotask(() => stop());
        resolve();
      }
    });
  });
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model} x${cpus().length}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
  };
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-client-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let server = await startSyncServer(root, join(dir, 'sync.db'), port, SECRET);
  try {
    // 1. bootstrap: an empty client until a local query returns the expected rows. Like RxDB's
    // `awaitInitialReplication()` in its peer, the wait is the client's own signal (`sync()`
    // resolves when the first round, the full resync and a pull, is over), then one query.
    const big = await token('bootstrap');
    await seed(url, big, DOCS);
    const expectedDone = Math.ceil(DOCS / 3);
    const bootstrap: number[] = [];
    let bootstrapRequests = 0;
    for (let run = 0; run < 3; run++) {
      const net = network();
      const started = performance.now();
      const fresh = await client(url, big, net, false);
      await fresh.sync();
      const done = fresh.query('tasks', (row) => row.data.done === true).length;
      if (done !== expectedDone)
        throw new Error(`synced with ${done} of ${expectedDone} done rows`);
      bootstrap.push(performance.now() - started);
      bootstrapRequests = net.requests.length;
      await fresh.close();
    }
    results.bootstrap = {
      docs: DOCS,
      runsMs: bootstrap.map(round),
      medianMs: round(median(bootstrap)),
      requests: bootstrapRequests,
      pageSize: PAGE_SIZE ?? 'client default',
    };
    console.log('bootstrap', results.bootstrap);

    // 2. online propagation: a write on A until it is in B's local state.
    const shared = await token('propagation');
    const a = await client(url, shared);
    const b = await client(url, shared);
    await until(() => a.connection === 'live' && b.connection === 'live');
    const propagation: number[] = [];
    const ack: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const id = `p${i}`;
      const arrived = seen(b, () => b.get('tasks', id) !== undefined);
      const acked = seen(a, () => a.get('tasks', id)?.pending === false);
      const started = performance.now();
      await a.put('tasks', id, doc(i));
      await arrived;
      propagation.push(performance.now() - started);
      await acked;
      ack.push(performance.now() - started);
    }
    results.propagation = {
      writes: WRITES,
      p50Ms: round(quantile(propagation, 0.5)),
      p95Ms: round(quantile(propagation, 0.95)),
      p99Ms: round(quantile(propagation, 0.99)),
      writeAckP50Ms: round(quantile(ack, 0.5)),
    };
    console.log('propagation', results.propagation);

    // 3 and 4. offline replay / large offline queue: writes queued offline, then reconnect.
    for (const [name, count] of [
      ['offlineReplay', 10],
      ['largeOfflineQueue', 1000],
    ] as const) {
      const jwt = await token(name);
      const net = network();
      const writer = await client(url, jwt, net);
      const reader = await client(url, jwt);
      await until(() => writer.connection === 'live' && reader.connection === 'live');
      net.down();
      for (let i = 0; i < count; i++) await writer.put('tasks', `o${i}`, doc(i));
      const before = net.requests.length;
      const converged = seen(reader, () => reader.query('tasks').length === count);
      const started = performance.now();
      net.up();
      // What the browser's `online` event does.
      void writer.sync().catch(() => {});
      await converged;
      await until(() => writer.pendingCount() === 0);
      const elapsed = performance.now() - started;
      const after = net.requests.slice(before);
      results[name] = {
        writes: count,
        ms: round(elapsed),
        requests: after.length,
        pushRequests: after.filter((path) => path === '/sync/push').length,
      };
      console.log(name, results[name]);
      await writer.close();
      await reader.close();
    }
    await a.close();
    await b.close();

    // 5. reconnect storm: N bootstrapped live clients, restart the server, write one row.
    const storm = await token('storm');
    await seed(url, storm, 200);
    const clients: SyncClient[] = [];
    for (let i = 0; i < STORM; i++) clients.push(await client(url, storm));
    await until(
      () =>
        clients.every((each) => each.connection === 'live' && each.query('tasks').length === 200),
      120_000,
    );
    const killedAt = performance.now();
    await stop(server);
    server = await startSyncServer(root, join(dir, 'sync.db'), port, SECRET);
    const restartedMs = performance.now() - killedAt;
    const everyoneSees = Promise.all(
      clients.map((each) => seen(each, () => each.get('tasks', 'after-restart') !== undefined)),
    );
    const writeAt = performance.now();
    await seedOne(url, storm);
    let peakRss = rssMb(server.pid!, 'VmRSS');
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb(server.pid!, 'VmRSS'));
    }, 20);
    await everyoneSees;
    const stormMs = performance.now() - writeAt;
    await until(() => clients.every((each) => each.connection === 'live'), 120_000);
    const allLiveMs = performance.now() - killedAt;
    clearInterval(sampler);
    results.reconnectStorm = {
      clients: STORM,
      restartMs: round(restartedMs),
      writeVisibleEverywhereMs: round(stormMs),
      killToAllLiveMs: round(allLiveMs),
      serverRssPeakMb: round(Math.max(peakRss, rssMb(server.pid!, 'VmHWM'))),
    };
    console.log('reconnectStorm', results.reconnectStorm);
    await Promise.all(clients.map((each) => each.close()));

    // 6. a new client in Chromium loading the documents into IndexedDB.
    results.chromium = await chromiumBootstrap(url, big, expectedDone);
    console.log('chromium', results.chromium);
  } finally {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }

  // 7. bundle size of keepsync/client.
  const bundled = await build({
    entryPoints: [join(root, 'src/client/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
  });
  const code = bundled.outputFiles[0]!.contents;
  results.bundle = {
    rawKb: round(code.byteLength / 1024),
    gzipKb: round(gzipSync(code).byteLength / 1024),
  };
  console.log('bundle', results.bundle);
  console.log(JSON.stringify(results, null, 2));

  // The peer: RxDB's WebSocket replication server through the same scenarios (no storm: its
  // memory storage loses every document on restart).
  const peerDir = join(root, 'bench/peers/rxdb');
  if (!existsSync(join(peerDir, 'node_modules'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: peerDir, stdio: 'inherit' });
  }
  execFileSync(
    process.execPath,
    [join(peerDir, 'peer.mjs'), '--docs', String(DOCS), '--writes', String(WRITES)],
    { stdio: 'inherit' },
  );
}

async function seedOne(url: string, jwt: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${url}/sync/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'writer',
        changes: [
          {
            collection: 'tasks',
            operation: 'upsert',
            doc_id: 'after-restart',
            data: { title: 'after restart' },
          },
        ],
      }),
    }).catch(() => null);
    if (response?.ok) return;
    await sleep(5);
  }
}

async function chromiumBootstrap(url: string, jwt: string, expectedDone: number): Promise<unknown> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return { skipped: 'no Chromium found' };
  const bundled = await build({
    entryPoints: [join(root, 'src/client/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
  });
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    // Same origin as the sync server, so no CORS is involved.
    await page.route(`${url}/bench`, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }),
    );
    await page.route(`${url}/keepsync-client.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: bundled.outputFiles[0]!.text }),
    );
    await page.goto(`${url}/bench`);
    // A string, not a function: tsx's name helpers do not exist in the page.
    const script = `(async () => {
      const started = performance.now();
      const { createSyncClient, openIndexedDbStore } = await import('/keepsync-client.js');
      const client = await createSyncClient({ url: location.origin, collections: ['tasks'], store: await openIndexedDbStore({ name: 'bench' }), getToken: () => ${JSON.stringify(jwt)}, live: false });
      await client.start();
      while (client.query('tasks', (row) => row.data.done).length !== ${expectedDone}) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const loadMs = performance.now() - started;
      await client.close();
      // The documents are in IndexedDB: a new client reads them back without the network.
      const reopened = performance.now();
      const again = await createSyncClient({ url: location.origin, collections: ['tasks'], store: await openIndexedDbStore({ name: 'bench' }), live: false });
      const docs = again.query('tasks').length;
      const reopenMs = performance.now() - reopened;
      await again.close();
      return { docs, loadMs: Math.round(loadMs), reopenFromIndexedDbMs: Math.round(reopenMs) };
    })()`;
    return await page.evaluate(script);
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
