import { appendFileSync } from 'node:fs';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline, runPipeline } from '../../src/sync/index.js';
import { journalDestination } from './journal-destination.js';
import { pacedSource } from './paced-source.js';

// argv: state db, destination db, page log, record count, page size
const [statePath, destinationPath, pageLog, count, pageSize] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];

const records = Array.from({ length: Number(count) }, (_, index) => ({
  key: `k${index}`,
  fields: {
    title: `Record ${index}`,
    n: index,
    tags: ['a', 'b'],
    at: new Date(1_700_000_000_000 + index),
  },
}));
// A finished run leaves the cursor at the end, so later runs read nothing.
const source = pacedSource({
  records,
  pageSize: Number(pageSize),
  pauseMs: 40,
  beforePage: (cursor) => appendFileSync(pageLog, `${process.pid} ${cursor}\n`),
});

const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(3) });
const pipeline = definePipeline({
  name: 'crash',
  source,
  destination: journalDestination(destinationPath),
});
process.stdout.write('READY\n');
const result = await runPipeline({ store, pipeline, unit: 'all' });
await store.close();
process.stdout.write(`DONE ${result.status}\n`);
process.exit(result.status === 'succeeded' ? 0 : 1);
