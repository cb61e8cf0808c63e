import { appendFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import * as memory from '../../src/connectors/memory/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline, type Source } from '../../src/sync/index.js';
import { createKeepsyncWorker } from '../../src/temporal/index.js';
import { journalDestination } from '../crash/journal-destination.js';

// argv: address, task queue, bundle path, state db, destination db, page log, records, page size
const [address, taskQueue, bundlePath, statePath, destinationPath, pageLog, count, pageSize] =
  process.argv.slice(2) as [string, string, string, string, string, string, string, string];

const CRASH_PIPELINE = 'crash';

const records = Array.from({ length: Number(count) }, (_, index) => ({
  key: `k${index}`,
  fields: { title: `Record ${index}`, n: index },
}));
// Incremental: a finished run leaves the cursor at the end.
const inner = memory.source({
  units: { all: records },
  pageSize: Number(pageSize),
  mode: 'incremental',
});
const source: Source = {
  ...inner,
  async *read(unit, options) {
    for await (const page of inner.read(unit, options)) {
      // Logged before the page is handed over, so a page read twice shows up twice.
      appendFileSync(pageLog, `${process.pid} ${page.cursor}\n`);
      process.stdout.write('PAGE\n');
      await new Promise((resolve) => setTimeout(resolve, 30));
      yield page;
    }
  },
};

const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(3) });
const pipeline = definePipeline({
  name: CRASH_PIPELINE,
  source,
  destination: journalDestination(destinationPath),
});
const connection = await NativeConnection.connect({ address });
const worker = await createKeepsyncWorker({
  connection,
  taskQueue,
  store,
  pipelines: [pipeline],
  workflowBundle: { codePath: bundlePath },
  leaseTtlMs: 2_000,
  // A killed worker's workflow tasks move to the next worker quickly.
  stickyQueueScheduleToStartTimeoutMs: 1_000,
});
const running = worker.run();
process.stdout.write('READY\n');
process.once('SIGTERM', () => worker.shutdown());
await running;
await connection.close();
await store.close();
