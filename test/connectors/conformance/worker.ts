import * as memory from '../../../src/connectors/memory/index.js';
import { openSqliteStore } from '../../../src/store/index.js';
import { type Destination, definePipeline, runPipeline } from '../../../src/sync/index.js';
import { conformanceRecords } from './harness.js';

// argv: harness module, state db, record count, then the harness's own worker arguments.
const [modulePath, statePath, count, ...args] = process.argv.slice(2) as [string, string, string];
const harness = (await import(modulePath)) as {
  workerDestination(args: readonly string[]): Destination;
};
const records = conformanceRecords(Number(count));
const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(3) });
const pipeline = definePipeline({
  name: 'conformance',
  source: memory.source({ units: { all: records }, pageSize: 20 }),
  destination: harness.workerDestination(args),
  retryMinDelayMs: 10,
});
process.stdout.write('READY\n');
// One line per committed page, so the test can kill at a point in the work.
const result = await runPipeline({
  store,
  pipeline,
  unit: 'all',
  onProgress: () => process.stdout.write('PAGE\n'),
});
await store.close();
process.stdout.write(`DONE ${result.status} ${JSON.stringify(result.stats)}\n`);
process.exit(result.status === 'succeeded' ? 0 : 1);
