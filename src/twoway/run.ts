import {
  type Cursor,
  describeError,
  isAuthError,
  KeepsyncError,
  type SyncRecord,
} from '../model/index.js';
import {
  emptyStats,
  type RunStats,
  type RunStatus,
  type RunTrigger,
  type Store,
} from '../store/index.js';
import {
  type Logger,
  REAUTHORIZE,
  type RunProgress,
  type RunResult,
  silentLogger,
  stoppedOutcome,
} from '../sync/index.js';
import type { TwoWayTask } from './define.js';
import { planTwoWay, type SideRead } from './plan.js';
import { matchRecordOf } from './plan-match.js';
import { executeBatch } from './run-batch.js';
import { type TwoWayStore, twoWayStore } from './store.js';
import {
  emptyReport,
  otherSide,
  type PairState,
  TWO_WAY_UNIT,
  type TwoWayReport,
  type TwoWaySide,
} from './types.js';

/** Settled pairs (matched, nothing to write) stored per commit, in batches of `batchSize`. */
const SETTLED_BATCHES_PER_COMMIT = 50;

export interface TwoWayRunOptions {
  store: Store;
  task: TwoWayTask;
  /** @default 'manual' */
  trigger?: RunTrigger | undefined;
  /** Stops after the batch in flight is committed. */
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  /** Called after every committed batch. */
  onProgress?: ((progress: RunProgress) => void) | undefined;
}

export interface TwoWayRunResult extends RunResult {
  readonly report: TwoWayReport;
  /** Keys left unlinked because several objects share a match key. */
  readonly ambiguous: { readonly left: readonly string[]; readonly right: readonly string[] };
}

/**
 * One pass of a two-way task: read both sides (full, or changes since the cursors), plan the
 * three-way merge against the stored base snapshots, then write and checkpoint batch by
 * batch. Each batch commits its pairs, bases and conflicts in one store transaction; a pair
 * about to get a new object is committed first, so a crash never leaves an object the store
 * does not know about. The cursors move with the last batch only, so a crash re-reads the
 * same changes and every write repeats idempotently.
 */
export async function runTwoWay(options: TwoWayRunOptions): Promise<TwoWayRunResult> {
  const { store, task, signal } = options;
  const logger = options.logger ?? silentLogger;
  const trigger = options.trigger ?? 'manual';
  const runId = await store.startRun(task.name, TWO_WAY_UNIT, trigger);
  const report = emptyReport();
  let ambiguous: TwoWayRunResult['ambiguous'] = { left: [], right: [] };
  let status: RunStatus = 'succeeded';
  let error: string | null = null;
  let pausedReason: string | null = null;
  let batches = 0;
  const stats = () => toRunStats(report, batches);
  try {
    const tw = twoWayStore(store);
    const cursors = await tw.getCursors(task.name);
    const [left, right] = await Promise.all([
      readSide(task.left, cursors.left, signal),
      readSide(task.right, cursors.right, signal),
    ]);
    report.readLeft = left.records.size;
    report.readRight = right.records.size;
    const [{ pairs, quietPairs }, conflicts] = await Promise.all([
      loadPairs(tw, task, left, right),
      tw.listConflicts({ task: task.name }),
    ]);
    const plan = planTwoWay({ task, pairs, quietPairs, left, right, conflicts });
    if (plan.guard) throw new KeepsyncError('DELETE_GUARD', plan.guard);
    Object.assign(report, plan.report);
    ambiguous = plan.ambiguous;
    if (ambiguous.left.length + ambiguous.right.length > 0) {
      logger.warn(
        { task: task.name, ambiguous },
        `${report.ambiguous} object(s) share a match key with several others; they stay unlinked until the match is unique`,
      );
    }
    const newCursors = { left: left.cursor, right: right.cursor };
    const { actions, settled } = plan;
    let aborted = false;
    // Matched pairs with nothing to write need no write-ahead and no checkpoint after
    // writes: they are stored in commits of many batches (each one transaction, so a crash
    // keeps whole commits and the next run matches the rest again).
    const settledPerCommit = task.batchSize * SETTLED_BATCHES_PER_COMMIT;
    for (let start = 0; start < settled.length; start += settledPerCommit) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      const last = start + settledPerCommit >= settled.length && actions.length === 0;
      batches++;
      await tw.commit({
        task: task.name,
        pairs: settled.slice(start, start + settledPerCommit),
        removedPairs: [],
        conflicts: [],
        resolvedConflicts: [],
        cursors: last ? newCursors : undefined,
        run: { id: runId, stats: stats() },
      });
      options.onProgress?.({
        pipeline: task.name,
        unit: TWO_WAY_UNIT,
        stats: stats(),
        expectedTotal: undefined,
      });
    }
    for (let start = 0; start < actions.length && !aborted; start += task.batchSize) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      const batch = actions.slice(start, start + task.batchSize);
      const last = start + task.batchSize >= actions.length;
      batches++;
      await executeBatch(options, batch, report, logger, {
        runId,
        stats,
        cursors: last ? newCursors : undefined,
      });
      options.onProgress?.({
        pipeline: task.name,
        unit: TWO_WAY_UNIT,
        stats: stats(),
        expectedTotal: undefined,
      });
    }
    if (aborted && signal) {
      ({ status, error } = stoppedOutcome(signal));
    } else if (actions.length === 0 && settled.length === 0) {
      await tw.commit({
        task: task.name,
        pairs: [],
        removedPairs: [],
        conflicts: [],
        resolvedConflicts: [],
        cursors: newCursors,
        run: { id: runId, stats: stats() },
      });
    }
  } catch (thrown) {
    error = describeError(thrown);
    if (isAuthError(thrown)) {
      status = 'paused';
      pausedReason = `${REAUTHORIZE}: ${error}`;
    } else if (signal?.aborted) {
      const stopped = stoppedOutcome(signal);
      status = stopped.status;
      error = stopped.error ?? error;
    } else {
      status = 'failed';
    }
    // Reported once by whoever drives the run, from its result (as pipeline runs are).
  }
  const runStats = stats();
  await store.finishRun(runId, { status, stats: runStats, error });
  return {
    runId,
    pipeline: task.name,
    unit: TWO_WAY_UNIT,
    status,
    stats: runStats,
    error,
    pausedReason,
    report,
    ambiguous,
  };
}

/**
 * Every pair, or, when both reads were changes only and no side lists its live keys (so no
 * unread pair can turn out deleted), only the pairs the reads can touch: those of the keys
 * read, of the keys creates would take, and those with state of their own. The rest are
 * counted, not loaded.
 */
async function loadPairs(
  tw: TwoWayStore,
  task: TwoWayTask,
  left: SideRead,
  right: SideRead,
): Promise<{ pairs: PairState[]; quietPairs: number }> {
  const partial = !left.complete && !right.complete && !left.liveKeys && !right.liveKeys;
  const total = partial ? await tw.countPairs(task.name) : 0;
  if (!partial || left.records.size + right.records.size >= total) {
    return { pairs: await tw.loadPairs(task.name), quietPairs: 0 };
  }
  const keys = { left: [...left.records.keys()], right: [...right.records.keys()] };
  for (const [side, read] of [
    ['left', left],
    ['right', right],
  ] as const) {
    const target = otherSide(side);
    for (const record of read.records.values()) {
      if (record.deleted) continue;
      // A createKey that fails here fails again, reported, when planning needs the key.
      try {
        keys[target].push(task.createKey[target](matchRecordOf(task, side, record)));
      } catch {}
    }
  }
  const pairs = await tw.loadPairsForKeys(task.name, keys);
  return { pairs, quietPairs: total - pairs.length };
}

interface ReadSide extends SideRead {
  readonly cursor: Cursor;
}

async function readSide(
  side: TwoWaySide,
  cursor: Cursor,
  signal: AbortSignal | undefined,
): Promise<ReadSide> {
  const incremental = side.mode === 'incremental';
  const records = new Map<string, SyncRecord>();
  let last: Cursor = incremental ? cursor : null;
  for await (const page of side.read({ cursor: incremental ? cursor : null, signal })) {
    for (const record of page.records) {
      if (typeof record?.key !== 'string' || record.key === '') {
        throw new KeepsyncError(
          'RECORD_INVALID',
          `The ${side.name} side sent a record with an empty key; every object needs a stable key`,
        );
      }
      records.set(record.key, record);
    }
    if (incremental) last = page.cursor;
  }
  const liveKeys =
    incremental && side.listKeys ? new Set<string>(await side.listKeys(signal)) : null;
  return { records, complete: !incremental, liveKeys, cursor: last };
}

/** The run row's stats: the pipeline counters, plus the two-way report under `twoWay`. */
function toRunStats(report: TwoWayReport, pages: number): RunStats {
  const stats: RunStats & { twoWay?: TwoWayReport } = {
    ...emptyStats(),
    read: report.readLeft + report.readRight,
    created: report.createdLeft + report.createdRight,
    updated: report.updatedLeft + report.updatedRight + report.restoredLeft + report.restoredRight,
    deleted: report.deletedLeft + report.deletedRight,
    unchanged: report.unchanged,
    failed: report.failed,
    pages,
  };
  stats.twoWay = { ...report };
  return stats;
}
