import {
  AuthError,
  type Cursor,
  describeError,
  isAuthError,
  KeepsyncError,
  type NeutralValue,
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
import { type PairAction, planTwoWay, type SideRead } from './plan.js';
import { matchRecordOf } from './plan-match.js';
import { type TwoWayCommit, type TwoWayStore, twoWayStore } from './store.js';
import {
  type ConflictWrite,
  emptyReport,
  type InflightValues,
  otherSide,
  type PairState,
  type Side,
  type SideWrite,
  type SideWriteResult,
  TWO_WAY_UNIT,
  type TwoWayReport,
  type TwoWaySide,
} from './types.js';

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
    const { actions } = plan;
    let aborted = false;
    for (let start = 0; start < actions.length; start += task.batchSize) {
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
    } else if (actions.length === 0) {
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

async function executeBatch(
  options: TwoWayRunOptions,
  batch: readonly PairAction[],
  report: TwoWayReport,
  logger: Logger,
  checkpoint: {
    runId: number;
    stats: () => RunStats;
    cursors: TwoWayCommit['cursors'];
  },
): Promise<void> {
  const { task, store, signal } = options;
  const tw = twoWayStore(store);
  const empty = { removedPairs: [], conflicts: [], resolvedConflicts: [] };
  // Write-ahead: pairs about to get an object are committed as pending, and pairs about to
  // be written remember the values being written, before anything is written.
  const intents = new Map<string, PairState>();
  for (const action of batch) {
    if (action.before) {
      intents.set(action.pairId, action.before);
      continue;
    }
    const base = action.onFailure;
    if (!base || (action.left?.kind !== 'upsert' && action.right?.kind !== 'upsert')) continue;
    intents.set(action.pairId, {
      ...base,
      inflight: {
        left: withWrite(base.inflight?.left, action.left),
        right: withWrite(base.inflight?.right, action.right),
      },
    });
  }
  if (intents.size > 0) {
    await tw.commit({ task: task.name, pairs: [...intents.values()], ...empty });
  }

  const [leftResults, rightResults] = await Promise.all(
    (['left', 'right'] as const).map((side) => writeSide(task[side], side, batch, signal)),
  );
  const pairs: PairState[] = [];
  const removed: string[] = [];
  const conflicts: ConflictWrite[] = [];
  const resolved: number[] = [];
  let authError: string | null = null;
  batch.forEach((action, index) => {
    const failures = failuresOf(leftResults![index], rightResults![index]);
    if (failures.length === 0) {
      if (action.after) pairs.push({ ...action.after, inflight: null });
      else removed.push(action.pairId);
      conflicts.push(...action.conflicts);
      resolved.push(...action.resolved);
      for (const counter of action.counts) report[counter]++;
      return;
    }
    report.failed++;
    // A failed write may still have landed: keep what it carried.
    const failed = intents.get(action.pairId) ?? action.onFailure;
    if (failed) pairs.push(failed);
    for (const failure of failures) {
      if (failure.status === 'auth') authError = failure.error;
      logger.warn(
        { task: task.name, pair: action.pairId, status: failure.status },
        `two-way write failed, retried next run: ${failure.error}`,
      );
    }
  });
  await tw.commit({
    task: task.name,
    pairs,
    removedPairs: removed,
    conflicts,
    resolvedConflicts: resolved,
    // An auth failure keeps the cursors, as the run stops here.
    cursors: authError ? undefined : checkpoint.cursors,
    run: { id: checkpoint.runId, stats: checkpoint.stats() },
  });
  if (authError) throw new AuthError(authError);
}

type FailedWrite = Exclude<SideWriteResult, { status: 'ok' }>;
const NO_FAILURES: readonly FailedWrite[] = [];

/** The failed writes of one action (no array made for the usual none: one action per pair). */
function failuresOf(
  left: SideWriteResult | undefined,
  right: SideWriteResult | undefined,
): readonly FailedWrite[] {
  const leftFailed = left !== undefined && left.status !== 'ok';
  const rightFailed = right !== undefined && right.status !== 'ok';
  if (!leftFailed && !rightFailed) return NO_FAILURES;
  return [left, right].filter(
    (result): result is FailedWrite => result !== undefined && result.status !== 'ok',
  );
}

/** The values a side may hold from keepsync's own unconfirmed writes, plus this one. */
function withWrite(
  previous: InflightValues | undefined,
  write: SideWrite | null,
): InflightValues | undefined {
  if (write?.kind !== 'upsert') return previous;
  const next: Record<string, NeutralValue[]> = { ...previous } as Record<string, NeutralValue[]>;
  for (const [field, value] of Object.entries(write.fields)) {
    next[field] = [...(previous?.[field] ?? []), value ?? null];
  }
  return next;
}

/** Writes one side's part of a batch; the result array is indexed like the batch. */
async function writeSide(
  side: TwoWaySide,
  name: Side,
  batch: readonly PairAction[],
  signal: AbortSignal | undefined,
): Promise<Array<SideWriteResult | undefined>> {
  const writes: SideWrite[] = [];
  const positions: number[] = [];
  batch.forEach((action, index) => {
    const write = action[name];
    if (write) {
      writes.push(write);
      positions.push(index);
    }
  });
  const results: Array<SideWriteResult | undefined> = new Array(batch.length);
  if (writes.length === 0) return results;
  let written: readonly SideWriteResult[];
  try {
    written = await side.write(writes, signal);
  } catch (error) {
    if (isAuthError(error)) throw error;
    // A failed batch write: every write in it is retried on the next run.
    written = writes.map(() => ({ status: 'retryable' as const, error: describeError(error) }));
  }
  positions.forEach((position, at) => {
    results[position] = written[at] ?? { status: 'retryable', error: 'no result' };
  });
  return results;
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
