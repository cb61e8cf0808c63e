import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { describeError } from '../model/index.js';
import type { Store, UnitState } from '../store/index.js';
import {
  type Logger,
  type Pipeline,
  type RunProgress,
  type RunResult,
  silentLogger,
} from '../sync/index.js';
import { registerUnits } from './control.js';
import { pipelineTask, type RunnableTask } from './runnable.js';
import { nextRunAfter, retryAfterFailure, validateSchedule } from './schedule.js';
import { storeRetryDelayMs } from './store-outage.js';

export interface EngineOptions {
  store: Store;
  pipelines: readonly Pipeline[];
  /** Other scheduled work, e.g. two-way tasks (`twoWayRunnable`); names share one space. */
  tasks?: readonly RunnableTask[] | undefined;
  /** Identifies this process in leases. @default host:pid:random */
  owner?: string | undefined;
  /** A lease not renewed for this long can be taken by another engine. @default 60_000 */
  leaseTtlMs?: number | undefined;
  /** How often the store is checked for due units and sync-now requests. @default 1000 */
  pollIntervalMs?: number | undefined;
  /**
   * The longest wait between polls while the store is unreachable (the wait doubles from
   * `pollIntervalMs` up to this). @default 5000
   */
  storeRetryMaxDelayMs?: number | undefined;
  /** Units run at the same time. @default 4 */
  concurrency?: number | undefined;
  logger?: Logger | undefined;
  onProgress?: ((progress: RunProgress) => void) | undefined;
  onRunFinished?: ((result: RunResult) => void) | undefined;
}

export type EngineState = 'ready' | 'running' | 'stopping' | 'stopped';

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

  /** Runs every unit once now (paused ones excepted) and resolves with the results. */
  async runOnce(filter: { pipelines?: readonly string[] } = {}): Promise<RunResult[]> {
    const units = (await this.#store.listUnits()).filter(
      (state) =>
        this.#pipelines.has(state.pipeline) &&
        (!filter.pipelines?.length || filter.pipelines.includes(state.pipeline)),
    );
    const results: RunResult[] = [];
    for (const state of units) {
      if (this.#shutdown.signal.aborted) break;
      if (state.paused) continue;
      const result = await this.#runUnit(state, true);
      if (result) results.push(result);
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
        .finally(() => {
          this.#active.delete(id);
          this.#wake?.();
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
    const store = this.#store;
    const acquired = await this.#store.acquireLease(
      state.pipeline,
      state.unit,
      this.owner,
      this.#leaseTtlMs,
      new Date(),
    );
    if (!acquired) return null;
    const lost = new AbortController();
    const renew = setInterval(
      () => {
        this.#store
          .acquireLease(state.pipeline, state.unit, this.owner, this.#leaseTtlMs, new Date())
          .then((held) => {
            if (!held) lost.abort(new Error('lease lost to another engine'));
          })
          .catch((error: unknown) => {
            this.#logger.warn(
              { pipeline: state.pipeline, unit: state.unit },
              `lease renewal failed: ${describeError(error)}`,
            );
          });
      },
      Math.max(100, Math.floor(this.#leaseTtlMs / 3)),
    );
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
        signal: AbortSignal.any([this.#shutdown.signal, lost.signal]),
        logger: this.#logger,
        onProgress: this.#options.onProgress,
      });
      await this.#afterRun(pipeline, result, keys !== null);
      this.#options.onRunFinished?.(result);
      return result;
    } finally {
      clearInterval(renew);
      await store.releaseLease(state.pipeline, state.unit, this.owner);
    }
  }

  async #afterRun(pipeline: RunnableTask, result: RunResult, targeted: boolean): Promise<void> {
    const id = unitId(result.pipeline, result.unit);
    const now = new Date();
    const failures = result.status === 'failed' ? (this.#failures.get(id) ?? 0) + 1 : 0;
    this.#failures.set(id, failures);
    const patch =
      result.status === 'paused'
        ? { paused: true, pausedReason: result.pausedReason }
        : result.status === 'aborted'
          ? { nextRunAt: now }
          : targeted
            ? {}
            : {
                nextRunAt:
                  failures > 0
                    ? retryAfterFailure(pipeline, now, failures)
                    : nextRunAfter(pipeline, now),
              };
    await this.#store.updateUnit(result.pipeline, result.unit, {
      ...patch,
      lastRunId: result.runId,
    });
    const log = result.status === 'failed' || result.status === 'paused' ? 'warn' : 'info';
    this.#logger[log](
      {
        pipeline: result.pipeline,
        unit: result.unit,
        runId: result.runId,
        status: result.status,
        stats: result.stats,
      },
      `run ${result.status}${result.error ? `: ${result.error}` : ''}`,
    );
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

function allTasks(options: EngineOptions): RunnableTask[] {
  return [...options.pipelines.map(pipelineTask), ...(options.tasks ?? [])];
}

function unitId(pipeline: string, unit: string): string {
  return `${pipeline}\u0000${unit}`;
}
