import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { describeError, KeepsyncError } from '../model/index.js';
import type { Store, UnitState } from '../store/index.js';
import { type Logger, type RunResult, silentLogger } from '../sync/index.js';
import { logRun, unitPatchAfterRun } from './after-run.js';
import { registerUnits } from './control.js';
import type { EngineOptions, EngineState } from './engine-options.js';
import { allTasks, assertUniqueNames, unitId } from './engine-tasks.js';
import { takeLease } from './lease.js';
import type { RunnableTask } from './runnable.js';
import { isWaitingForQuota, validateSchedule } from './schedule.js';
import { storeRetryDelayMs } from './store-outage.js';
import { isVerifyDue, leaseBusy, logVerification } from './verify-units.js';

/**
 * The embedded orchestrator: runs every (pipeline, unit) on its schedule under a lease in
 * the store, so several processes can share one store and never run a unit twice at once.
 */
export class Engine {
  readonly owner: string;
  readonly #store: Store;
  readonly #pipelines: ReadonlyMap<string, RunnableTask>;
  readonly #leaseTtlMs: number;
  readonly #pollIntervalMs: number;
  readonly #concurrency: number;
  readonly #logger: Logger;
  readonly #options: EngineOptions;
  readonly #shutdown = new AbortController();
  readonly #active = new Map<string, Promise<RunResult | null>>();
  readonly #failures = new Map<string, number>();
  #state: EngineState = 'ready';
  #wake: (() => void) | undefined;
  #onResult: ((result: RunResult) => void) | undefined;

  private constructor(options: EngineOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#pipelines = new Map(allTasks(options).map((task) => [task.name, task]));
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#leaseTtlMs = options.leaseTtlMs ?? 60_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#concurrency = options.concurrency ?? 4;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Validates schedules and registers every unit in the store. */
  static async create(options: EngineOptions): Promise<Engine> {
    const tasks = allTasks(options);
    assertUniqueNames(tasks);
    for (const task of tasks) validateSchedule(task);
    await registerUnits(options.store, tasks);
    return new Engine(options);
  }

  get state(): EngineState {
    return this.#state;
  }

  /** Runs due units until shutdown() is called; then waits for the pages in flight. */
  async run(): Promise<void> {
    this.#state = 'running';
    let storeFailures = 0;
    try {
      while (!this.#shutdown.signal.aborted) {
        try {
          await this.tick();
        } catch (error) {
          // The store is away (a PostgreSQL restart): wait and poll again, never die of it.
          storeFailures++;
          const delayMs = storeRetryDelayMs(
            storeFailures,
            this.#pollIntervalMs,
            this.#options.storeRetryMaxDelayMs ?? 5000,
          );
          this.#logger.error(
            { failures: storeFailures, delayMs },
            `store unavailable: ${describeError(error)}; polling again in ${delayMs} ms`,
          );
          await this.#sleep(delayMs);
          continue;
        }
        if (storeFailures > 0) {
          this.#logger.info(
            { failures: storeFailures },
            `store reachable again after ${storeFailures} failed polls`,
          );
          storeFailures = 0;
        }
        await this.#sleep(this.#pollIntervalMs);
      }
    } finally {
      await Promise.allSettled(this.#active.values());
      this.#state = 'stopped';
    }
  }

  /**
   * Runs every unit once now (paused ones excepted) and resolves with the results; a unit
   * another engine is running is left out and reported through `onLeaseBusy`.
   */
  async runOnce(filter: { pipelines?: readonly string[] } = {}): Promise<RunResult[]> {
    const units = (await this.#store.listUnits()).filter(
      (state) =>
        this.#pipelines.has(state.pipeline) &&
        (!filter.pipelines?.length || filter.pipelines.includes(state.pipeline)),
    );
    const results: RunResult[] = [];
    for (const state of units) {
      if (this.#shutdown.signal.aborted) break;
      if (state.paused || isWaitingForQuota(state, new Date())) continue;
      const result = await this.#runUnit(state, true);
      if (result) results.push(result);
    }
    return results;
  }

  /**
   * Runs every unit now, then on its schedule, until each has run `times` times here
   * (ultimate-notion's `in_total`); a unit that pauses counts as done.
   */
  async runTimes(times: number): Promise<RunResult[]> {
    if (!Number.isInteger(times) || times < 1) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected the number of runs to be a whole number of at least 1, got ${times}`,
      );
    }
    const results = await this.runOnce();
    const counts = new Map<string, number>();
    for (const result of results) {
      if (result.status !== 'paused') counts.set(unitId(result.pipeline, result.unit), 1);
    }
    const pending = () => [...counts.values()].some((count) => count < times);
    if (!pending() || this.#shutdown.signal.aborted) return results;
    const finished = new Promise<void>((resolve) => {
      // A shutdown from outside (Ctrl-C) ends the runs early.
      this.#shutdown.signal.addEventListener('abort', () => resolve(), { once: true });
      this.#onResult = (result) => {
        const id = unitId(result.pipeline, result.unit);
        const count = counts.get(id);
        if (count === undefined || count >= times) return;
        results.push(result);
        counts.set(id, result.status === 'paused' ? times : count + 1);
        if (!pending()) resolve();
      };
    });
    try {
      await this.runUntil(finished);
    } finally {
      this.#onResult = undefined;
    }
    return results;
  }

  /** One scheduling pass: starts every due or requested unit that fits the concurrency. */
  async tick(now = new Date()): Promise<void> {
    const units = await this.#store.listUnits();
    for (const state of units) {
      if (this.#active.size >= this.#concurrency || this.#shutdown.signal.aborted) return;
      const id = unitId(state.pipeline, state.unit);
      if (!this.#pipelines.has(state.pipeline) || this.#active.has(id) || state.paused) continue;
      const due = state.syncRequested || (state.nextRunAt !== null && state.nextRunAt <= now);
      if (!due) continue;
      // A finished run frees a slot, so the next pass starts at once. A unit another engine
      // holds waits for the next poll: waking for it spun the loop on resolved promises,
      // starving timers and signals for as long as the other engine ran it.
      const run = this.#runUnit(state, false)
        .catch((error: unknown) => {
          // Only the store fails a run this way (runs record their own errors): the unit
          // stays due and runs again once the store answers.
          this.#logger.error(
            { pipeline: state.pipeline, unit: state.unit },
            `run stopped, the store failed: ${describeError(error)}`,
          );
          return null;
        })
        .then((result) => {
          this.#active.delete(id);
          if (result) this.#wake?.();
          return result;
        });
      this.#active.set(id, run);
    }
  }

  /** Stops taking new work; the page in flight is committed, then run() returns. */
  async shutdown(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    this.#shutdown.abort(new Error('engine shutting down'));
    this.#wake?.();
    await Promise.allSettled(this.#active.values());
  }

  /** For tests: runs until the promise settles, then shuts down. */
  async runUntil<T>(promise: Promise<T>): Promise<T> {
    const running = this.run();
    try {
      return await promise;
    } finally {
      await this.shutdown();
      await running;
    }
  }

  async #runUnit(state: UnitState, force: boolean): Promise<RunResult | null> {
    const pipeline = this.#pipelines.get(state.pipeline)!;
    const lease = await takeLease({
      store: this.#store,
      pipeline: state.pipeline,
      unit: state.unit,
      owner: this.owner,
      ttlMs: this.#leaseTtlMs,
      logger: this.#logger,
    });
    if (!lease) {
      if (force) await this.#reportBusy(state);
      return null;
    }
    const { store, lost } = lease;
    try {
      // Another engine may have run it between our listing and our lease.
      const fresh = await store.getUnit(state.pipeline, state.unit);
      if (!fresh || fresh.paused) return null;
      const due =
        fresh.syncRequested || (fresh.nextRunAt !== null && fresh.nextRunAt <= new Date());
      if (!force && !due) return null;
      const keys = fresh.syncRequested ? fresh.requestedKeys : null;
      if (fresh.syncRequested) {
        await store.updateUnit(state.pipeline, state.unit, {
          syncRequested: false,
          requestedKeys: null,
        });
      }
      const result = await pipeline.run({
        store,
        unit: state.unit,
        trigger: keys ? 'keys' : fresh.syncRequested ? 'manual' : 'schedule',
        keys: keys ?? undefined,
        signal: AbortSignal.any([this.#shutdown.signal, lost]),
        logger: this.#logger,
        onProgress: this.#options.onProgress,
      });
      // The unit's row is the new holder's now: its schedule is not this run's to move.
      if (!lost.aborted) await this.#afterRun(pipeline, result, keys !== null);
      this.#options.onRunFinished?.(result);
      this.#onResult?.(result);
      if (keys === null && result.status === 'succeeded' && !lost.aborted) {
        await this.#verifyIfDue(pipeline, store, state.unit, lost);
      }
      return result;
    } finally {
      await lease.release();
    }
  }

  /** The pipeline's periodic verification, under the lease of the run just finished. */
  async #verifyIfDue(
    task: RunnableTask,
    store: Store,
    unit: string,
    lost: AbortSignal,
  ): Promise<void> {
    const verify = task.verify;
    if (!verify || !(await isVerifyDue(store, task.name, unit, verify.everyMs, new Date()))) {
      return;
    }
    const result = await verify.run({
      store,
      unit,
      trigger: 'verify',
      signal: AbortSignal.any([this.#shutdown.signal, lost]),
      logger: this.#logger,
    });
    if (this.#options.logRuns !== false) logVerification(this.#logger, result);
    this.#options.onRunFinished?.(result);
  }

  async #reportBusy(state: UnitState): Promise<void> {
    this.#options.onLeaseBusy?.(await leaseBusy(this.#store, state.pipeline, state.unit));
  }

  async #afterRun(pipeline: RunnableTask, result: RunResult, targeted: boolean): Promise<void> {
    const id = unitId(result.pipeline, result.unit);
    const failures = result.status === 'failed' ? (this.#failures.get(id) ?? 0) + 1 : 0;
    this.#failures.set(id, failures);
    await this.#store.updateUnit(result.pipeline, result.unit, {
      ...unitPatchAfterRun(pipeline, result, { targeted, failures, now: new Date() }),
      lastRunId: result.runId,
    });
    if (this.#options.logRuns !== false) logRun(this.#logger, result);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
