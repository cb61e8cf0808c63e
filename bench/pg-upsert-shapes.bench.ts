/**
 * How PostgreSQL upserts of a page cost, client and server (issue 15): 100,000 rows of the
 * db-to-db bench's shape, pages of 1,000, each page one transaction into a fresh table, as a
 * multi-row VALUES list, as one JSON parameter through json_populate_recordset, as JSON arrays
 * with casts, and as unnest of typed arrays; two rounds. Prints wall time and Node's CPU.
 *
 *   node --import tsx bench/pg-upsert-shapes.bench.ts
 */
import pg from 'pg';
import { startPgServer } from '../test/support/pg-server.js';

const server = await startPgServer({ durable: true });
const c = new pg.Client({ connectionString: server.url });
await c.connect();
const cols = [
  'key',
  'archived',
  'description',
  'forks',
  'language',
  'owner',
  'score',
  'stars',
  'title',
  'updated_at',
  'url',
];
const ddl = (t: string) =>
  `CREATE TABLE ${t} (key TEXT PRIMARY KEY, archived BOOLEAN, description TEXT, forks DOUBLE PRECISION, language TEXT, owner TEXT, score DOUBLE PRECISION, stars DOUBLE PRECISION, title TEXT, updated_at TIMESTAMPTZ, url TEXT)`;
const rowOf = (i: number) => [
  `k${i}`,
  i % 10 === 0,
  'A benchmark record with a sentence of text in it.',
  i % 700,
  'Go',
  `owner-${i % 100}`,
  (i % 1000) / 10,
  i % 5000,
  `Record number ${i}`,
  new Date(1.7e12 + i * 1000).toISOString(),
  `https://example.com/records/${i}`,
];
const N = 100_000,
  P = 1000;
const upd = cols
  .slice(1)
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ');
async function timeIt(name: string, fn: (rows: unknown[][], t: string) => Promise<void>) {
  const t = `t_${name}`;
  await c.query(ddl(t));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let s = 0; s < N; s += P) {
    const rows = Array.from({ length: P }, (_, j) => rowOf(s + j));
    await c.query('BEGIN');
    await fn(rows, t);
    await c.query('COMMIT');
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    name,
    (wall / 1000).toFixed(2),
    's wall',
    ((cpu.user + cpu.system) / 1e6).toFixed(2),
    's node CPU',
  );
}
for (let round = 0; round < 2; round++) {
  await timeIt(`values${round}`, async (rows, t) => {
    let p = 0;
    const tuples = rows.map(() => `(${cols.map(() => `$${++p}`).join(',')})`);
    await c.query(
      `INSERT INTO ${t} AS x (${cols}) VALUES ${tuples} ON CONFLICT (key) DO UPDATE SET ${upd}`,
      rows.flat(),
    );
  });
  await timeIt(`json${round}`, async (rows, t) => {
    const objs = rows.map((r) => {
      const o: Record<string, unknown> = {};
      cols.forEach((c, i) => {
        o[c] = r[i];
      });
      return o;
    });
    await c.query(
      `INSERT INTO ${t} AS x (${cols}) SELECT ${cols} FROM json_populate_recordset(null::${t}, $1::json) ON CONFLICT (key) DO UPDATE SET ${upd}`,
      [JSON.stringify(objs)],
    );
  });
  await timeIt(`jsonarr${round}`, async (rows, t) => {
    await c.query(
      `INSERT INTO ${t} AS x (${cols}) SELECT ${cols.map((c, i) => `(r->>${i})::${c === 'key' || c === 'description' || c === 'language' || c === 'owner' || c === 'title' || c === 'url' ? 'text' : c === 'archived' ? 'boolean' : c === 'updated_at' ? 'timestamptz' : 'float8'}`)} FROM json_array_elements($1::json) r ON CONFLICT (key) DO UPDATE SET ${upd}`,
      [JSON.stringify(rows)],
    );
  });
  await timeIt(`unnest${round}`, async (rows, t) => {
    const types = [
      'text',
      'boolean',
      'text',
      'float8',
      'text',
      'text',
      'float8',
      'float8',
      'text',
      'timestamptz',
      'text',
    ];
    const arrays = cols.map((_, i) => rows.map((r) => r[i]));
    await c.query(
      `INSERT INTO ${t} AS x (${cols}) SELECT * FROM unnest(${types.map((ty, i) => `$${i + 1}::${ty}[]`)}) ON CONFLICT (key) DO UPDATE SET ${upd}`,
      arrays,
    );
  });
}
await c.end();
await server.close();
