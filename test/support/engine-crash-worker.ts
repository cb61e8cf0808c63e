import { appendFileSync } from 'node:fs';
import { Engine } from '../../src/engine/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline } from '../../src/sync/index.js';
import { journalDestination } from '../crash/journal-destination.js';
import { numberedRecords, pacedSource } from '../crash/paced-source.js';

// The unit crash/all of engine-crash.ts (not imported: it loads vitest).
// argv: engine (embedded | temporal), state db, destination db, page log, records, page size,
// then for temporal: address, task queue, workflow bundle path
const [engine, statePath, destinationPath, pageLog, count, pageSize, ...temporalArgs] =
  process.argv.slice(2) as [string, string, string, string, string, string, ...string[]];

const source = pacedSource({
  records: numberedRecords(Number(count)),
  pageSize: Number(pageSize),
  pauseMs: 30,
  beforePage: (cursor) => {
    appendFileSync(pageLog, `${process.pid} ${cursor}\n`);
    process.stdout.write('PAGE\n');
  },
});

const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(3) });
const pipeline = definePipeline({
  name: 'crash',
  source,
  destination: journalDestination(destinationPath),
  schedule: { everyMs: 3_600_000 },
});

if (engine === 'embedded') {
  // A killed engine's lease runs out after 2 s; the next engine then takes the unit.
  const embedded = await Engine.create({
    store,
    pipelines: [pipeline],
    leaseTtlMs: 2_000,
    pollIntervalMs: 100,
  });
  process.once('SIGTERM', () => void embedded.shutdown());
  await embedded.run();
} else {
  const [address, taskQueue, bundlePath] = temporalArgs as [string, string, string];
  const { NativeConnection } = await import('@temporalio/worker');
  const { createKeepsyncWorker } = await import('../../src/temporal/index.js');
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
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}
await store.close();
