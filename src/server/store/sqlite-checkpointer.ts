import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints of the SQLite document store, run on a worker thread with its own
 * connection. Left to SQLite, a checkpoint (copying the WAL into the database file, two
 * fsyncs) runs inside whichever commit crosses `wal_autocheckpoint`, on the event loop: one
 * push in seven paid for it, up to tens of milliseconds on a busy disk. A PASSIVE checkpoint
 * needs no write lock, so the worker's runs overlap the writer's commits instead.
 */
export interface WalCheckpointer {
  /** A commit added to the WAL: checkpoint once enough commits are waiting (one run at a time). */
  wrote(): void;
  /** Resolves after the next checkpoint that starts after this call has finished. */
  next(): Promise<CheckpointReport>;
  close(): Promise<void>;
}

/** SQLite's answer to `PRAGMA wal_checkpoint`: frames in the WAL, and how many are copied. */
export interface CheckpointReport {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface WalCheckpointerOptions {
  path: string;
  /** The writer's `synchronous` setting: a checkpoint syncs as the writer's own would. */
  synchronous: 'NORMAL' | 'FULL';
  /** Called once if the worker fails; the caller then checkpoints in its commits again. */
  onFailure: (error: unknown) => void;
  /**
   * The least time between two checkpoints. Each completed checkpoint makes the writer's next
   * commit restart the WAL, and that restart syncs the WAL header on the writer's thread: so
   * checkpoints are spaced out, and the writer pays one small fsync per interval at most.
   * Not much more than this, though: under a steady stream of pushes (~400 a second of 50
   * changes), a second between checkpoints let the WAL pass the catch-up size, and then one
   * commit in 300 took 50-110 ms; at 200 ms none took over 15 ms, for the same throughput.
   * @default 200
   */
  minIntervalMs?: number;
  /**
   * How many commits wait before a checkpoint, so a server taking a write now and then does
   * not restart the WAL (and sync its header) on every commit.
   * @default 10
   */
  minCommits?: number;
}

// CommonJS run by the worker (eval): the driver is resolved here so the worker needs no file
// of its own, from src/ under tsx as from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('synchronous = ' + workerData.synchronous);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  parentPort.postMessage(checkpoint.get());
});
`;

/**
 * A checkpoint that overlapped a commit copies the WAL but leaves its newest frames, and the
 * writer restarts the WAL only once every frame is copied: under a steady stream of commits
 * the WAL would grow to the writer's backstop. Past this many frames (16 MB at 4 KiB) the
 * next checkpoint runs at the next commit, without waiting, until one catches up.
 */
const CATCH_UP_FRAMES = 4096;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

export function startWalCheckpointer(options: WalCheckpointerOptions): WalCheckpointer {
  const minIntervalMs = options.minIntervalMs ?? 200;
  const minCommits = options.minCommits ?? 10;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver: driverPath, path: options.path, synchronous: options.synchronous },
  });
  let running = false;
  let commits = 0;
  let catchingUp = false;
  let failed = false;
  let failure: unknown = null;
  let lastStartMs = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;
  // Waiters of `next()`: those registered before the current run started wait for the one after.
  type Waiter = { resolve: (report: CheckpointReport) => void; reject: (error: unknown) => void };
  let waiting: Waiter[] = [];
  let waitingForThisRun: Waiter[] = [];

  const start = () => {
    timer = null;
    if (running || failed) return;
    running = true;
    commits = 0;
    lastStartMs = performance.now();
    waitingForThisRun = waiting;
    waiting = [];
    worker.postMessage('run');
  };
  const schedule = () => {
    if (running || timer !== null || failed) return;
    const waitMs = catchingUp ? 0 : lastStartMs + minIntervalMs - performance.now();
    if (waitMs <= 0) start();
    else {
      timer = setTimeout(start, waitMs);
      timer.unref();
    }
  };
  worker.on('message', (report: CheckpointReport) => {
    running = false;
    catchingUp = report.log >= CATCH_UP_FRAMES;
    for (const waiter of waitingForThisRun) waiter.resolve(report);
    waitingForThisRun = [];
    if (commits >= (catchingUp ? 1 : minCommits) || waiting.length > 0) schedule();
  });
  worker.on('error', (error) => {
    if (failed) return;
    failed = true;
    failure = error;
    for (const waiter of [...waitingForThisRun, ...waiting]) waiter.reject(error);
    waitingForThisRun = [];
    waiting = [];
    options.onFailure(error);
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // After the listeners: attaching one refs the worker again. An open store whose owner forgot
  // to close it must not keep the process alive.
  worker.unref();

  return {
    wrote() {
      commits++;
      if (commits >= (catchingUp ? 1 : minCommits)) schedule();
    },
    next() {
      return new Promise((resolve, reject) => {
        if (failure !== null) return reject(failure);
        waiting.push({ resolve, reject });
        schedule();
      });
    },
    async close() {
      if (timer !== null) clearTimeout(timer);
      failed = true;
      // Referenced again, or a process whose last work is this close exits before the worker.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
