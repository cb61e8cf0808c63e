import Database from 'better-sqlite3';
import { Engine } from '../../src/engine/index.js';
import { openPostgresStore } from '../../src/store/index.js';
import { definePipeline } from '../../src/sync/index.js';
import { journalDestination } from '../crash/journal-destination.js';
import { numberedRecords, pacedSource } from '../crash/paced-source.js';

// A real engine on a PostgreSQL store, writing one incremental unit into a journal that keeps
// every object it was asked to create. Its lines on stdout: READY, PAGE <read>, LOG <message>,
// RUN <status>, DONE once every record is in the journal.
// argv: store URL, journal path, record count, page size, pause per page (ms), and optionally
// the engine's poll interval and longest store back-off (ms; 100 and 1000 unless given)
const [storeUrl, journalPath, count, pageSize, pauseMs, pollMs, maxBackoffMs] = process.argv.slice(
  2,
) as [string, string, string, string, string, string?, string?];

const records = numberedRecords(Number(count));
const source = pacedSource({
  records,
  pageSize: Number(pageSize),
  pauseMs: Number(pauseMs),
});

const say = (line: string) => process.stdout.write(`${line}\n`);
const store = await openPostgresStore({ connectionString: storeUrl });
const pipeline = definePipeline({
  name: 'outage',
  source,
  destination: journalDestination(journalPath),
  schedule: { everyMs: 1000 },
});
const journal = new Database(journalPath, { readonly: true });
const log = (_details: object, message: string) => say(`LOG ${message.replaceAll('\n', ' ')}`);
const engine = await Engine.create({
  store,
  pipelines: [pipeline],
  pollIntervalMs: Number(pollMs ?? 100),
  storeRetryMaxDelayMs: Number(maxBackoffMs ?? 1000),
  logger: { info: log, warn: log, error: log },
  onProgress: (progress) => say(`PAGE ${progress.stats.read}`),
  onRunFinished: (result) => {
    say(`RUN ${result.status}`);
    const { n } = journal.prepare('SELECT COUNT(DISTINCT key) AS n FROM objects').get() as {
      n: number;
    };
    if (result.status === 'succeeded' && n === records.length) void engine.shutdown();
  },
});
say('READY');
await engine.run();
journal.close();
await store.close();
say('DONE');
