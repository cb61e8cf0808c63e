import {
  Engine,
  isWaitingForQuota,
  pauseUnits,
  requestSync,
  resumeUnits,
} from '../../src/engine/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { crashWorkerArgs } from '../support/engine-crash.js';
import {
  type ConformanceStatus,
  CRASH_REF,
  describeEngineConformance,
  type UnitRef,
} from './cases.js';

/** The embedded engine's status: its unit row in the store and the unit's runs. */
async function storeStatus(store: Store, ref: UnitRef): Promise<ConformanceStatus> {
  const state = await store.getUnit(ref.pipeline, ref.unit);
  if (!state) throw new Error(`no unit ${ref.pipeline}/${ref.unit} yet`);
  const runs = await store.listRuns({ pipeline: ref.pipeline, unit: ref.unit, limit: 10_000 });
  const finished = runs.filter((run) => run.finishedAt !== null);
  const last = state.lastRunId === null ? null : await store.getRun(state.lastRunId);
  return {
    paused: state.paused,
    pausedReason: state.pausedReason,
    runs: finished.length,
    running: runs.some((run) => run.finishedAt === null),
    lastRun: last ? { status: last.status, targeted: last.trigger === 'keys' } : null,
    lastStats: last?.stats ?? null,
    nextRunAt: state.nextRunAt,
    waitingForQuotaUntil: isWaitingForQuota(state, new Date()) ? state.nextRunAt : null,
  };
}

describeEngineConformance('embedded', () => {
  const store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(7) });
  let engine: Engine | undefined;
  let running: Promise<void> | undefined;
  return {
    async start(pipelines) {
      engine = await Engine.create({ store, pipelines, pollIntervalMs: 100, leaseTtlMs: 5_000 });
      running = engine.run();
    },
    async stop() {
      await engine?.shutdown();
      await running;
      await store.close();
    },
    async syncNow(ref, keys) {
      await requestSync(store, ref.pipeline, ref.unit, keys ?? null);
    },
    async pause(ref, reason) {
      await pauseUnits(store, ref.pipeline, ref.unit, reason);
    },
    async resume(ref) {
      await resumeUnits(store, ref.pipeline, ref.unit);
    },
    status: (ref) => storeStatus(store, ref),
    crash: {
      // The embedded engine reads one page ahead of the one it writes.
      maxPagesReReadPerKill: 2,
      async prepare() {},
      workerArgs: (files) => crashWorkerArgs('embedded', files),
      async status(files) {
        // The workers' store, read beside them as `keepsync status` would.
        const shared = openSqliteStore({
          path: files.state,
          secretKey: new Uint8Array(32).fill(3),
        });
        try {
          return await storeStatus(shared, CRASH_REF);
        } finally {
          await shared.close();
        }
      },
    },
  };
});
