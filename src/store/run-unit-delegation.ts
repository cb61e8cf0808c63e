import type { Store } from './types.js';

/** Run history and dead letters: one implementation per dialect (sqlite-runs, postgres-runs). */
export type RunOperations = Pick<
  Store,
  'startRun' | 'finishRun' | 'getRun' | 'listRuns' | 'listDeadLetters'
>;

/** The scheduler's per-unit rows: one implementation per dialect (sqlite-units, postgres-units). */
export type UnitOperations = Pick<
  Store,
  'ensureUnit' | 'getUnit' | 'listUnits' | 'updateUnit' | 'requestSync'
>;

/**
 * The part of a store that only forwards to its dialect's run and unit operations, written once
 * for both stores. Subclasses set `runs` and `units` in their constructors.
 */
export abstract class RunUnitDelegation implements RunOperations, UnitOperations {
  protected abstract readonly runs: RunOperations;
  protected abstract readonly units: UnitOperations;

  startRun(...args: Parameters<Store['startRun']>): ReturnType<Store['startRun']> {
    return this.runs.startRun(...args);
  }

  finishRun(...args: Parameters<Store['finishRun']>): ReturnType<Store['finishRun']> {
    return this.runs.finishRun(...args);
  }

  getRun(...args: Parameters<Store['getRun']>): ReturnType<Store['getRun']> {
    return this.runs.getRun(...args);
  }

  listRuns(...args: Parameters<Store['listRuns']>): ReturnType<Store['listRuns']> {
    return this.runs.listRuns(...args);
  }

  listDeadLetters(
    ...args: Parameters<Store['listDeadLetters']>
  ): ReturnType<Store['listDeadLetters']> {
    return this.runs.listDeadLetters(...args);
  }

  ensureUnit(...args: Parameters<Store['ensureUnit']>): ReturnType<Store['ensureUnit']> {
    return this.units.ensureUnit(...args);
  }

  getUnit(...args: Parameters<Store['getUnit']>): ReturnType<Store['getUnit']> {
    return this.units.getUnit(...args);
  }

  listUnits(...args: Parameters<Store['listUnits']>): ReturnType<Store['listUnits']> {
    return this.units.listUnits(...args);
  }

  updateUnit(...args: Parameters<Store['updateUnit']>): ReturnType<Store['updateUnit']> {
    return this.units.updateUnit(...args);
  }

  requestSync(...args: Parameters<Store['requestSync']>): ReturnType<Store['requestSync']> {
    return this.units.requestSync(...args);
  }
}
