/**
 * Child process of link-query-worker.test.ts: a no-change pass with the link query on its
 * worker, then (with `leave-open`) no store.close(). The process must still exit.
 */
import { join } from 'node:path';
import * as memory from '../../src/connectors/memory/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline, runPipeline } from '../../src/sync/index.js';

const [dir, mode] = process.argv.slice(2) as [string, 'close' | 'leave-open'];
const store = openSqliteStore({
  path: join(dir, 'state.db'),
  secretKey: new Uint8Array(32),
  linkQueryWorkerAfterKeys: 0,
});
const pipeline = definePipeline({
  name: 'p',
  source: memory.source({
    units: { u: { count: 300, record: (index) => ({ key: `k${index}`, fields: { n: index } }) } },
    pageSize: 100,
  }),
  destination: memory.destination(),
});
await runPipeline({ store, pipeline, unit: 'u' });
const rerun = await runPipeline({ store, pipeline, unit: 'u' });
console.log(JSON.stringify(rerun.stats));
if (mode === 'close') await store.close();
