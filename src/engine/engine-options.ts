import type { Store } from '../store/index.js';
import type { Logger, Pipeline, RunProgress, RunResult } from '../sync/index.js';
import type { RunnableTask } from './runnable.js';

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
  /**
   * Logs every finished run (a failure at `error`, a pause at `warn`, others at `info`), once.
   * Off when the caller reports each run itself (the CLI prints them), so no failure shows
   * twice. @default true
   */
  logRuns?: boolean | undefined;
  onProgress?: ((progress: RunProgress) => void) | undefined;
  onRunFinished?: ((result: RunResult) => void) | undefined;
  /** runOnce() found a unit leased by another engine, so it did not run it. */
  onLeaseBusy?: ((busy: LeaseBusy) => void) | undefined;
}

/** A unit another engine holds the lease of. */
export interface LeaseBusy {
  readonly pipeline: string;
  readonly unit: string;
  readonly owner: string | null;
  readonly since: Date | null;
  readonly expiresAt: Date | null;
}

export type EngineState = 'ready' | 'running' | 'stopping' | 'stopped';
