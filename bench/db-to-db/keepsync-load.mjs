/**
 * One keepsync run of the db-to-db bench, in a process of its own: the `events` table of a
 * SQLite file or PostgreSQL database -> `events` in a PostgreSQL database, keepsync's state in
 * a SQLite file. Prints one JSON line: seconds, stats, peak RSS, CPU seconds.
 *
 * Plain JavaScript on the build (dist/), run by Node alone: what a user runs. Under tsx, each
 * module load went through its loader thread, which added ~35 MB of RSS and ~0.5 s of CPU
 * that were tsx's, not keepsync's.
 */
import { parseArgs } from 'node:util';
import * as sql from '../../dist/connectors/sql/index.js';
import { openSqliteStore } from '../../dist/store/index.js';
import { definePipeline, runPipeline } from '../../dist/sync/index.js';

const { values } = parseArgs({
  options: {
    'source-sqlite': { type: 'string' },
    'source-postgres': { type: 'string' },
    destination: { type: 'string' },
    state: { type: 'string' },
    'page-size': { type: 'string' },
    /** Hides the destination client's COPY, so every create is an upsert. */
    'no-copy': { type: 'boolean', default: false },
  },
});
const started = performance.now();
const sourceClient = values['source-sqlite']
  ? sql.sqliteClient(values['source-sqlite'])
  : sql.postgresClient(values['source-postgres']);
const postgres = sql.postgresClient(values.destination);
const destinationClient = values['no-copy']
  ? {
      dialect: postgres.dialect,
      query: (text, params) => postgres.query(text, params),
      transaction: (statements) => postgres.transaction(statements),
      close: () => postgres.close(),
    }
  : postgres;
const store = openSqliteStore({ path: values.state, secretKey: new Uint8Array(32) });
const pipeline = definePipeline({
  name: 'events',
  source: sql.source({
    client: sourceClient,
    table: 'events',
    cursorColumn: 'updated_at',
    ...(values['page-size'] ? { pageSize: Number(values['page-size']) } : {}),
  }),
  destination: sql.destination({ client: destinationClient, table: 'events', createTable: true }),
});
const result = await runPipeline({ store, pipeline, unit: 'events' });
const seconds = (performance.now() - started) / 1000;
if (result.status !== 'succeeded') throw new Error(`keepsync ${result.status}: ${result.error}`);
await Promise.all([store.close(), sourceClient.close(), destinationClient.close()]);
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    seconds,
    written: result.stats.created + result.stats.updated,
    unchanged: result.stats.unchanged,
    maxRssMb: Math.round(usage.maxRSS / 1024),
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  }),
);
