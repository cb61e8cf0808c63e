import { KeepsyncError } from '../model/index.js';
import type { RunRow, Store, UnitState } from '../store/index.js';
import type { Pipeline } from '../sync/index.js';
import { isRunnableTask, type RunnableTask } from './runnable.js';
import { nextRunAfter } from './schedule.js';

/** Registers every unit of every pipeline or task in the store (new units run at once). */
export async function registerUnits(
  store: Store,
  pipelines: ReadonlyArray<Pipeline | RunnableTask>,
  now = new Date(),
): Promise<void> {
  for (const pipeline of pipelines) {
    const units = isRunnableTask(pipeline) ? pipeline.units() : pipeline.source.units();
    for (const unit of await units) {
      await store.ensureUnit(pipeline.name, unit.id, now);
    }
  }
}

/** A pipeline (or two-way task) by name; the error lists the known names. */
export function findPipeline<T extends { readonly name: string } = Pipeline>(
  pipelines: readonly T[],
  name: string,
): T {
  const pipeline = pipelines.find((candidate) => candidate.name === name);
  if (!pipeline) {
    const known = pipelines.map((candidate) => candidate.name).join(', ') || 'none';
    throw new KeepsyncError('NOT_FOUND', `No pipeline named ${name} (known: ${known})`);
  }
  return pipeline;
}

async function unitsOf(store: Store, pipeline: string, unit?: string): Promise<UnitState[]> {
  const units = (await store.listUnits(pipeline)).filter(
    (state) => unit === undefined || state.unit === unit,
  );
  if (units.length === 0) {
    throw new KeepsyncError(
      'NOT_FOUND',
      unit === undefined
        ? `Pipeline ${pipeline} has no units yet; run it once first`
        : `Pipeline ${pipeline} has no unit ${unit}`,
    );
  }
  return units;
}

export async function pauseUnits(
  store: Store,
  pipeline: string,
  unit: string | undefined,
  reason: string,
): Promise<UnitState[]> {
  const units = await unitsOf(store, pipeline, unit);
  for (const state of units)
    await store.updateUnit(pipeline, state.unit, { paused: true, pausedReason: reason });
  return units;
}

/** Resumes paused units; they catch up at once. */
export async function resumeUnits(
  store: Store,
  pipeline: string,
  unit?: string,
  now = new Date(),
): Promise<UnitState[]> {
  const units = await unitsOf(store, pipeline, unit);
  for (const state of units) {
    await store.updateUnit(pipeline, state.unit, {
      paused: false,
      pausedReason: null,
      nextRunAt: now,
    });
  }
  return units;
}

/** Sync-now: the engine that holds the lease runs the unit (or only these keys) at once. */
export async function requestSync(
  store: Store,
  pipeline: string,
  unit: string | undefined,
  keys: readonly string[] | null,
): Promise<UnitState[]> {
  const units = await unitsOf(store, pipeline, unit);
  for (const state of units) await store.requestSync(pipeline, state.unit, keys);
  return units;
}

/** Forgets cursors so the next run re-reads everything; optionally empties the destination. */
export async function resetPipeline(
  store: Store,
  pipeline: Pipeline,
  options: { truncate?: boolean } = {},
): Promise<{ cursors: number; links: number }> {
  let links = 0;
  if (options.truncate) {
    if (!pipeline.destination.truncate) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `The destination of pipeline ${pipeline.name} (${pipeline.destination.name}) cannot be truncated`,
      );
    }
    await pipeline.destination.truncate();
    links = await store.deleteLinks(pipeline.name);
  }
  const cursors = await store.resetCursors(pipeline.name);
  return { cursors, links };
}

export interface UnitStatus extends UnitState {
  readonly lastRun: RunRow | null;
}

/** The status rows of all units, with their last run. */
export async function listStatus(store: Store, pipeline?: string): Promise<UnitStatus[]> {
  const units = await store.listUnits(pipeline);
  return Promise.all(
    units.map(async (state) => ({
      ...state,
      lastRun: state.lastRunId === null ? null : await store.getRun(state.lastRunId),
    })),
  );
}

export { nextRunAfter };
