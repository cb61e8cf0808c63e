/**
 * 100 pipelines (one unit each) on ONE Temporal worker against a real dev server, then the
 * same pipelines on the embedded engine. Prints records/s, worker RSS, history events per run
 * and the time from `syncNow` to the first page written.
 *
 *   node --import tsx bench/temporal.bench.ts --pipelines 100 --records 500
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as memory from '../src/connectors/memory/index.js';
import { Engine } from '../src/engine/index.js';
import { openSqliteStore } from '../src/store/index.js';
import { type Destination, definePipeline, type Pipeline } from '../src/sync/index.js';
import {
  bundleKeepsyncWorkflows,
  createKeepsyncWorker,
  startUnitWorkflows,
  syncUnitNow,
  unitHandle,
  unitStatus,
} from '../src/temporal/index.js';
import { eventually, startTemporalDevServer } from '../test/support/temporal.js';

const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '100' },
    records: { type: 'string', default: '500' },
    page: { type: 'string', default: '100' },
  },
});
const pipelineCount = Number(values.pipelines);
const recordCount = Number(values.records);
const pageSize = Number(values.page);

/** A memory destination that notes when each pipeline's first page of a run lands. */
function timedDestination(onWrite: () => void): Destination {
  const inner = memory.destination();
  return {
    name: 'timed',
    async open(context) {
      const session = await inner.open(context);
      return {
        lookup: (keys) => session.lookup(keys),
        write: async (ops) => {
          onWrite();
          return session.write(ops);
        },
        close: () => session.close(),
      };
    },
  };
}

let firstWriteAt: number | null = null;
// Bumped before each syncNow, so the run has changes to write.
let version = 1;
function pipelines(): Pipeline[] {
  return Array.from({ length: pipelineCount }, (_, index) =>
    definePipeline({
      name: `p${index}`,
      source: memory.source({
        units: {
          main: () =>
            Array.from({ length: recordCount }, (_, n) => ({
              key: `r${n}`,
              fields: { title: `Record ${n} of ${index}`, n, version },
            })),
        },
        pageSize,
      }),
      destination: timedDestination(() => {
        firstWriteAt ??= performance.now();
      }),
      schedule: { everyMs: 3_600_000 },
    }),
  );
}

const total = pipelineCount * recordCount;
console.log(
  `${pipelineCount} pipelines x ${recordCount} records (pages of ${pageSize}); ${cpus().length} cores, load ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);

// Temporal: one worker, SQLite store.
const env = await startTemporalDevServer();
const temporalStore = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(5) });
const temporalPipelines = pipelines();
const bundle = await bundleKeepsyncWorkflows();
const worker = await createKeepsyncWorker({
  connection: env.nativeConnection,
  taskQueue: 'bench',
  store: temporalStore,
  pipelines: temporalPipelines,
  workflowBundle: bundle,
});
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);
await worker.runUntil(async () => {
  const started = performance.now();
  await startUnitWorkflows({
    client: env.client,
    taskQueue: 'bench',
    pipelines: temporalPipelines,
  });
  for (let index = 0; index < pipelineCount; index++) {
    await eventually(
      async () => {
        const status = await unitStatus(env.client, { pipeline: `p${index}`, unit: 'main' });
        if (status.lastRun?.status !== 'succeeded') throw new Error('not yet');
      },
      { timeoutMs: 600_000, intervalMs: 250 },
    );
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `temporal: first runs of all units ${seconds.toFixed(1)} s, ${Math.round(total / seconds)} records/s`,
  );

  const history = await unitHandle(env.client, { pipeline: 'p0', unit: 'main' }).fetchHistory();
  console.log(`temporal: history events after start + first run: ${history.events?.length ?? 0}`);

  const latencies: number[] = [];
  for (let index = 0; index < 10; index++) {
    const ref = { pipeline: `p${index}`, unit: 'main' };
    const before = (await unitStatus(env.client, ref)).runs;
    version++;
    firstWriteAt = null;
    const signalled = performance.now();
    await syncUnitNow(env.client, ref);
    await eventually(
      async () => {
        if (firstWriteAt === null) throw new Error('not yet');
      },
      { intervalMs: 1 },
    );
    latencies.push(firstWriteAt! - signalled);
    await eventually(async () => {
      const status = await unitStatus(env.client, ref);
      if (status.runs <= before || status.running) throw new Error('not yet');
    });
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `temporal: syncNow -> first page written: median ${latencies[5]!.toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms (10 signals)`,
  );
  const afterRuns = await unitHandle(env.client, { pipeline: 'p0', unit: 'main' }).fetchHistory();
  console.log(
    `temporal: history events of one syncNow run (p0): ${afterRuns.events!.length - history.events!.length}`,
  );
});
clearInterval(sampler);
console.log(`temporal: worker process peak RSS ${Math.round(peakRss / 1_048_576)} MB`);
await env.teardown();
await temporalStore.close();

// Embedded engine, same pipelines, same store kind.
const embeddedStore = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(6) });
const engine = await Engine.create({ store: embeddedStore, pipelines: pipelines() });
const started = performance.now();
await engine.runOnce();
const seconds = (performance.now() - started) / 1000;
console.log(
  `embedded: one run of all units ${seconds.toFixed(1)} s, ${Math.round(total / seconds)} records/s`,
);
await engine.shutdown();
await embeddedStore.close();
