// Records the history the replay test replays: a unit workflow taken through every branch
// (first run, targeted sync-now, auth pause, resume, stray signals, schedule change, cancel)
// on a real dev server. Run again only when the workflow's shape changes on purpose:
//   node --import tsx test/temporal/record-history.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import * as memory from '../../src/connectors/memory/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline } from '../../src/sync/index.js';
import {
  createKeepsyncWorker,
  resumeUnit,
  startUnitWorkflows,
  syncUnitNow,
  unitHandle,
  unitStatus,
} from '../../src/temporal/index.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

const ref = { pipeline: 'recorded', unit: 'u' };
let authBroken = true;
const pipeline = definePipeline({
  name: ref.pipeline,
  source: memory.source({
    units: { u: [1, 2, 3].map((n) => ({ key: `r${n}`, fields: { n } })) },
    pageSize: 2,
  }),
  destination: memory.destination({
    fault: () => (authBroken ? { status: 'auth', error: 'revoked' } : undefined),
  }),
  schedule: { everyMs: 3_600_000 },
});

const env = await startTemporalDevServer();
const store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(1) });
const worker = await createKeepsyncWorker({
  connection: env.nativeConnection,
  taskQueue: 'record',
  store,
  pipelines: [pipeline],
});
const status = () => unitStatus(env.client, ref);
await worker.runUntil(async () => {
  await startUnitWorkflows({ client: env.client, taskQueue: 'record', pipelines: [pipeline] });
  await eventually(async () => {
    if (!(await status()).paused) throw new Error('not paused yet');
  });
  const handle = unitHandle(env.client, ref);
  await handle.signal('syncNow', 'r1');
  await handle.signal('setSchedule', 'nonsense');
  authBroken = false;
  await resumeUnit(env.client, ref);
  await eventually(async () => {
    const current = await status();
    if (current.running || current.syncRequested || current.runs < 2) throw new Error('busy');
  });
  await syncUnitNow(env.client, ref, ['r2']);
  await handle.signal('setSchedule', { everyMs: 2000 });
  await eventually(async () => {
    if ((await status()).runs < 4) throw new Error('not yet');
  });
  await handle.signal('pause', 'recorded');
  await eventually(async () => {
    if ((await status()).running) throw new Error('still running');
  });
  await handle.cancel();
  await eventually(async () => {
    if ((await handle.describe()).status.name !== 'CANCELLED') throw new Error('not cancelled');
  });
  const history = await handle.fetchHistory();
  writeFileSync(
    join(import.meta.dirname, 'histories', 'keepsync-unit.json'),
    historyToJSON(history),
  );
});
await env.teardown();
await store.close();
