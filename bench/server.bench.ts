/**
 * Sync server benchmark (SQLite, loopback), with PouchDB's HTTP server beside it in the same
 * run. Both servers run as child processes; this process is the client.
 *
 *   npm run bench:server -- [--docs 100000] [--subscribers 1000] [--pushes 300]
 *
 * The PouchDB peer is installed on first use into bench/peers/pouchdb (its own lockfile).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { pushLiveChange } from './support/live-push.js';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const DOCS = arg('docs', 100_000);
const SUBSCRIBERS = arg('subscribers', 1000);
const PUSHES = arg('pushes', 300);
const BATCH = 50;
const SECRET = 'bench-secret-0123456789abcdefghij';

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const ms = (value: number) => `${value.toFixed(2)} ms`;

function startChild(
  command: string,
  argv: string[],
  cwd = root,
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, KEEPSYNC_LOG_LEVEL: 'warn' },
    });
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.on('exit', (code) => reject(new Error(`${command} exited ${code}`)));
  });
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function doc(index: number) {
  return {
    title: `Task ${index}`,
    done: index % 3 === 0,
    priority: index % 5,
    tags: ['bench', `t${index % 10}`],
    note: 'x'.repeat(80),
  };
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    docs: DOCS,
    subscribers: SUBSCRIBERS,
  };
  const db = join(mkdtempSync(join(tmpdir(), 'keepsync-bench-')), 'sync.db');
  const { child, url } = await startChild(process.execPath, [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--port',
    '0',
    '--db',
    db,
    '--jwt-secret',
    SECRET,
    '--log-level',
    'warn',
  ]);
  const jwt = await new SignJWT({ sub: 'bench' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));
  const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
  let next = 0;
  const push = async (collection: string, count: number) => {
    const changes = Array.from({ length: count }, () => {
      const index = next++;
      return {
        collection,
        operation: 'upsert',
        doc_id: `d${index}`,
        data: doc(index),
        parent_version: null,
      };
    });
    const response = await fetch(`${url}/sync/push`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ client_id: 'bench', changes }),
    });
    if (response.status !== 200)
      throw new Error(`push ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };

  // 1. Push of 50-change batches, one at a time.
  for (let i = 0; i < 20; i++) await push('tasks', BATCH);
  next = 0;
  const pushLatencies: number[] = [];
  for (let i = 0; i < PUSHES; i++) pushLatencies.push(await timed(() => push('tasks', BATCH)));
  results.push50 = { p50: quantile(pushLatencies, 0.5), p99: quantile(pushLatencies, 0.99) };

  // 2. Pull of 500 changes from random cursors over the same documents.
  const top = PUSHES * BATCH;
  const pullLatencies: number[] = [];
  for (let i = 0; i < 300; i++) {
    const since = Math.floor(Math.random() * (top - 500));
    pullLatencies.push(
      await timed(async () => {
        const body = (await (
          await fetch(`${url}/sync/pull?since=${since}&limit=500`, { headers })
        ).json()) as { changes: unknown[] };
        if (body.changes.length !== 500) throw new Error(`pull got ${body.changes.length}`);
      }),
    );
  }
  results.pull500 = { p50: quantile(pullLatencies, 0.5), p99: quantile(pullLatencies, 0.99) };
  console.log('push50', results.push50, 'pull500', results.pull500);

  // 3. Sustained ingest: 4 concurrent clients pushing 50-change batches for 5 s.
  let pushed = 0;
  const until = performance.now() + 5000;
  const sustainedStart = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < until) {
        await push('tasks', BATCH);
        pushed += BATCH;
      }
    }),
  );
  results.sustainedChangesPerSec = pushed / ((performance.now() - sustainedStart) / 1000);

  // 4. Full resync of DOCS documents.
  next = 0;
  for (let seeded = 0; seeded < DOCS; seeded += 1000)
    await push('bulk', Math.min(1000, DOCS - seeded));
  const baseline = rssMb(child.pid!, 'VmRSS');
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(child.pid!, 'VmRSS'));
  }, 10);
  const fullStart = performance.now();
  const response = await fetch(`${url}/sync/full?collections=bulk`, { headers });
  const reader = response.body!.getReader();
  let ttfb = 0;
  let lines = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    if (ttfb === 0) ttfb = performance.now() - fullStart;
    for (const byte of value) if (byte === 10) lines++;
  }
  const fullTotal = performance.now() - fullStart;
  clearInterval(sampler);
  if (lines !== DOCS) throw new Error(`full resync returned ${lines} lines`);
  const gzipTotal = await timed(async () => {
    const gz = await fetch(`${url}/sync/full?collections=bulk`, {
      headers: { ...headers, 'accept-encoding': 'gzip' },
    });
    await gz.arrayBuffer();
  });
  results.full = {
    docs: DOCS,
    ttfb,
    total: fullTotal,
    gzipTotal,
    serverRssBeforeMb: baseline,
    serverRssPeakMb: peak,
  };

  // 5. Live-change latency to SUBSCRIBERS WebSocket clients.
  const wsUrl = `${url.replace('http', 'ws')}/sync/stream?token=${jwt}`;
  const since = String(
    (
      (await (
        await fetch(`${url}/sync/pull?since=0&limit=1&collections=none`, { headers })
      ).json()) as { last_seq: string }
    ).last_seq,
  );
  const sockets: WebSocket[] = [];
  let round = -1;
  let roundStart = 0;
  const latencies: number[] = [];
  let received = 0;
  let roundDone: () => void = () => {};
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = new WebSocket(wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; data?: { round: number } };
      if (message.type === 'change' && message.data?.round === round) {
        latencies.push(performance.now() - roundStart);
        if (++received === SUBSCRIBERS) roundDone();
      }
    });
    ws.send(JSON.stringify({ type: 'subscribe', since, collections: ['live'] }));
    sockets.push(ws);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (round = 0; round < 20; round++) {
    received = 0;
    const all = new Promise<void>((resolve) => {
      roundDone = resolve;
    });
    roundStart = performance.now();
    await pushLiveChange(url, headers, round);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  for (const ws of sockets) ws.terminate();
  results.live = {
    subscribers: SUBSCRIBERS,
    deliveries: latencies.length,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    // A loop, not Math.max(...): 10,000 subscribers x 20 rounds overflow the call stack.
    max: latencies.reduce((most, value) => Math.max(most, value), 0),
  };
  results.serverPeakRssMb = rssMb(child.pid!, 'VmHWM');
  child.kill('SIGTERM');

  // 6. The peer: PouchDB's HTTP server, same documents, same push and pull.
  const peerDir = join(root, 'bench/peers/pouchdb');
  if (!existsSync(join(peerDir, 'node_modules'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: peerDir, stdio: 'inherit' });
  }
  const peer = await startChild(process.execPath, ['server.mjs'], peerDir);
  await fetch(`${peer.url}/bench`, { method: 'PUT' });
  let peerNext = 0;
  const peerPush = async () => {
    const docs = Array.from({ length: BATCH }, () => {
      const index = peerNext++;
      return { _id: `d${index}`, ...doc(index) };
    });
    const response = await fetch(`${peer.url}/bench/_bulk_docs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ docs }),
    });
    if (response.status !== 201) throw new Error(`pouch push ${response.status}`);
    await response.arrayBuffer();
  };
  for (let i = 0; i < 20; i++) await peerPush();
  await fetch(`${peer.url}/bench`, { method: 'DELETE' });
  await fetch(`${peer.url}/bench`, { method: 'PUT' });
  peerNext = 0;
  const peerPushLatencies: number[] = [];
  for (let i = 0; i < PUSHES; i++) peerPushLatencies.push(await timed(peerPush));
  const peerPullLatencies: number[] = [];
  for (let i = 0; i < 300; i++) {
    const since = Math.floor(Math.random() * (top - 500));
    peerPullLatencies.push(
      await timed(async () => {
        const body = (await (
          await fetch(`${peer.url}/bench/_changes?since=${since}&limit=500&include_docs=true`)
        ).json()) as { results: unknown[] };
        if (body.results.length !== 500) throw new Error(`pouch pull got ${body.results.length}`);
      }),
    );
  }
  peer.child.kill('SIGTERM');
  results.pouchdb = {
    push50: { p50: quantile(peerPushLatencies, 0.5), p99: quantile(peerPushLatencies, 0.99) },
    pull500: { p50: quantile(peerPullLatencies, 0.5), p99: quantile(peerPullLatencies, 0.99) },
  };

  const r = results as {
    push50: { p50: number; p99: number };
    pull500: { p50: number; p99: number };
    full: {
      ttfb: number;
      total: number;
      gzipTotal: number;
      serverRssBeforeMb: number;
      serverRssPeakMb: number;
    };
    live: { p50: number; p99: number; max: number; deliveries: number };
    pouchdb: { push50: { p50: number; p99: number }; pull500: { p50: number; p99: number } };
    sustainedChangesPerSec: number;
    serverPeakRssMb: number;
  };
  const ratio = (peerValue: number, ours: number) => `${(peerValue / ours).toFixed(1)}x`;
  console.log(`
| measure | keepsync (SQLite) | PouchDB (express-pouchdb, memory) | PouchDB / keepsync |
|---|---:|---:|---:|
| push, 50-change batch, p50 | ${ms(r.push50.p50)} | ${ms(r.pouchdb.push50.p50)} | ${ratio(r.pouchdb.push50.p50, r.push50.p50)} |
| push, 50-change batch, p99 | ${ms(r.push50.p99)} | ${ms(r.pouchdb.push50.p99)} | ${ratio(r.pouchdb.push50.p99, r.push50.p99)} |
| pull of 500 changes, p50 | ${ms(r.pull500.p50)} | ${ms(r.pouchdb.pull500.p50)} | ${ratio(r.pouchdb.pull500.p50, r.pull500.p50)} |
| pull of 500 changes, p99 | ${ms(r.pull500.p99)} | ${ms(r.pouchdb.pull500.p99)} | ${ratio(r.pouchdb.pull500.p99, r.pull500.p99)} |

| keepsync only | figure |
|---|---:|
| sustained ingest, 4 clients x 50-change batches | ${Math.round(r.sustainedChangesPerSec).toLocaleString('en-US')} changes/s |
| full resync of ${DOCS.toLocaleString('en-US')} docs: time to first byte | ${ms(r.full.ttfb)} |
| full resync: total (identity / gzip) | ${ms(r.full.total)} / ${ms(r.full.gzipTotal)} |
| full resync: server RSS before / peak during | ${r.full.serverRssBeforeMb.toFixed(0)} MB / ${r.full.serverRssPeakMb.toFixed(0)} MB |
| live change to ${SUBSCRIBERS} WebSocket subscribers: p50 / p99 / max | ${ms(r.live.p50)} / ${ms(r.live.p99)} / ${ms(r.live.max)} (${r.live.deliveries} deliveries) |
| server peak RSS over the whole run | ${r.serverPeakRssMb.toFixed(0)} MB |
`);
  console.log(JSON.stringify(results));
}

await main();
