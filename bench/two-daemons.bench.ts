/**
 * Two `keepsync run` daemons on one SQLite store (issue 10, item 2): a pipeline of 300,000
 * memory records into a `sql` SQLite destination every 15 s and one of two small units every
 * 5 s, both into the same destination file. Reports each daemon's longest event-loop stall,
 * how long each took to exit after SIGINT, and whether two runs of one unit ever overlapped.
 *
 *   node --import tsx bench/two-daemons.bench.ts [--records 300000] [--seconds 90]
 *     [--daemons 1|2] [--slow-sqlite] [--cpu-prof-dir DIR]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    seconds: { type: 'string', default: '90' },
    /** 1 shows what the same load costs without a second process on the store. */
    daemons: { type: 'string', default: '2' },
    /** Also list every SQLite call that took over 300 ms (bench/support/slow-sqlite.ts). */
    'slow-sqlite': { type: 'boolean', default: false },
    /** Writes each daemon's CPU profile (--cpu-prof) into this folder. */
    'cpu-prof-dir': { type: 'string' },
  },
});
const records = Number(values.records);
const seconds = Number(values.seconds);
const dir = mkdtempSync(join(tmpdir(), 'keepsync-two-daemons-'));
const cliMain = join(import.meta.dirname, '../src/cli/main.ts');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
const cpuProfileDir = values['cpu-prof-dir'];
const slowSqlite = pathToFileURL(join(import.meta.dirname, 'support/slow-sqlite.ts')).href;
const monitor = pathToFileURL(join(import.meta.dirname, 'support/loop-monitor.ts')).href;

writeFileSync(
  join(dir, 'keepsync.config.ts'),
  `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as sql from 'keepsync/connectors/sql';

const destination = ${JSON.stringify(join(dir, 'destination.db'))};
export default defineConfig({
  store: { sqlite: 'state.db' },
  pipelines: [
    {
      name: 'big',
      source: memory.source({ units: { a: { count: ${records}, record: (i) => ({
        key: 'r' + i, fields: { title: 'Record ' + i, n: i, tag: 'bench-' + (i % 97) } }) } } }),
      destination: sql.destination({ client: sql.sqliteClient(destination), table: 'big', createTable: true }),
      schedule: { everyMs: 15_000 },
    },
    {
      name: 'small',
      source: memory.source({ units: {
        a: [{ key: 'a1', fields: { v: 1 } }, { key: 'a2', fields: { v: 2 } }],
        b: [{ key: 'b1', fields: { v: 1 } }],
      } }),
      destination: sql.destination({ client: sql.sqliteClient(destination), table: 'small', createTable: true }),
      schedule: { everyMs: 5_000 },
    },
  ],
});
`,
);

interface Daemon {
  readonly name: string;
  /** When the engine said it was running (Date.now()), to tell start-up stalls from the rest. */
  startedAtMs: number | null;
  readonly exited: Promise<number>;
  readonly child: ReturnType<typeof spawn>;
  stderr: string;
}

function startDaemon(name: string): Daemon {
  const child = spawn(
    process.execPath,
    [
      ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
      '--import',
      tsx,
      '--import',
      monitor,
      ...(values['slow-sqlite'] ? ['--import', slowSqlite] : []),
      cliMain,
      'run',
    ],
    {
      cwd: dir,
      env: { ...process.env, KEEPSYNC_LOOP_REPORT: join(dir, `${name}.json`) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const daemon: Daemon = {
    name,
    child,
    stderr: '',
    startedAtMs: null,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1))),
  };
  child.stderr?.on('data', (chunk) => {
    daemon.stderr += chunk;
    if (daemon.startedAtMs === null && daemon.stderr.includes('keepsync engine ')) {
      daemon.startedAtMs = Date.now();
    }
  });
  return daemon;
}

const load = loadavg()[0]!.toFixed(2);
const daemons = ['A', 'B'].slice(0, Number(values.daemons)).map(startDaemon);
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));

const exitMs: number[] = await Promise.all(
  daemons.map(async (daemon) => {
    const sent = performance.now();
    daemon.child.kill('SIGINT');
    const killer = setTimeout(() => daemon.child.kill('SIGKILL'), 120_000);
    await daemon.exited;
    clearTimeout(killer);
    return Math.round(performance.now() - sent);
  }),
);

for (const daemon of daemons)
  if (!daemon.stderr.includes('running'))
    console.log(`daemon ${daemon.name} stderr: ${daemon.stderr.slice(-2000)}`);
const db = new Database(join(dir, 'state.db'), { readonly: true });
const runs = db
  .prepare('SELECT pipeline, unit, status, started_ms, finished_ms FROM runs ORDER BY id')
  .all() as Array<{
  pipeline: string;
  unit: string;
  status: string;
  started_ms: number;
  finished_ms: number | null;
}>;
db.close();
let overlaps = 0;
let longestOverlapMs = 0;
for (const [index, run] of runs.entries()) {
  for (const other of runs.slice(index + 1)) {
    if (other.pipeline !== run.pipeline || other.unit !== run.unit) continue;
    const end = Math.min(run.finished_ms ?? Infinity, other.finished_ms ?? Infinity);
    const overlap = end - Math.max(run.started_ms, other.started_ms);
    if (overlap > 0) {
      overlaps++;
      longestOverlapMs = Math.max(longestOverlapMs, overlap === Infinity ? -1 : overlap);
    }
  }
}
const statuses = new Map<string, number>();
for (const run of runs) {
  const id = `${run.pipeline}/${run.unit} ${run.status}`;
  statuses.set(id, (statuses.get(id) ?? 0) + 1);
}

console.log(
  `${cpus().length} cores, load average ${load} at start, ${seconds} s, ${records} records`,
);
for (const [index, daemon] of daemons.entries()) {
  let loop = 'no report';
  try {
    const measured = JSON.parse(readFileSync(join(dir, `${daemon.name}.json`), 'utf8')) as {
      maxStallMs: number;
      p99StallMs: number;
      stalls: Array<{ endedAtMs: number; ms: number }>;
      gcMs: number;
      longestGcMs: number;
    };
    const running = measured.stalls.filter(
      (stall) => daemon.startedAtMs !== null && stall.endedAtMs - stall.ms > daemon.startedAtMs,
    );
    const longest = Math.max(0, ...running.map((stall) => stall.ms));
    if (running.length > 0) {
      console.log(
        `  stalls once running: ${running.map((stall) => `${stall.ms} ms at +${Math.round((stall.endedAtMs - daemon.startedAtMs!) / 1000)} s`).join(', ')}`,
      );
    }
    loop = `longest stall ${measured.maxStallMs} ms overall, ${longest} ms once running (${running.length} over 200 ms), p99 ${measured.p99StallMs} ms; GC ${measured.gcMs} ms in all, longest pause ${measured.longestGcMs} ms`;
  } catch {}
  console.log(`daemon ${daemon.name}: ${loop}; exit ${exitMs[index]} ms after SIGINT`);
  if (values['slow-sqlite']) {
    let calls = 'no report';
    try {
      calls = readFileSync(join(dir, `${daemon.name}.json.sql`), 'utf8');
    } catch {}
    console.log(`  SQLite calls over 300 ms: ${calls}`);
  }
  const errors = daemon.stderr.split('\n').filter((line) => /"level":[45]0|Error/.test(line));
  if (errors.length > 0)
    console.log(`  stderr (${errors.length} lines), first: ${errors[0]!.slice(0, 300)}`);
}
console.log(`runs: ${[...statuses].map(([id, n]) => `${id}: ${n}`).join(', ')}`);
console.log(`overlapping runs of one unit: ${overlaps} (longest ${longestOverlapMs} ms)`);
rmSync(dir, { recursive: true, force: true });
