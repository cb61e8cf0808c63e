import { AuthError, describeError, isAuthError, type NeutralValue } from '../model/index.js';
import type { RunStats } from '../store/index.js';
import type { Logger } from '../sync/index.js';
import type { PairAction } from './plan.js';
import type { TwoWayRunOptions } from './run.js';
import { type TwoWayCommit, twoWayStore } from './store.js';
import type {
  ConflictWrite,
  InflightValues,
  PairState,
  Side,
  SideWrite,
  SideWriteResult,
  TwoWayReport,
  TwoWaySide,
} from './types.js';

/**
 * One batch of actions: the write-ahead commit of what is about to be written, the writes
 * to both sides, then the checkpoint commit of the pairs as the writes left them.
 */
export async function executeBatch(
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
      if (!action.after) removed.push(action.pairId);
      else if (action.after.inflight) pairs.push({ ...action.after, inflight: null });
      else pairs.push(action.after);
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
