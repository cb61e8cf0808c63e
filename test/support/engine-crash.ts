import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';

/**
 * The SIGKILL crash case that both engines share: worker processes (engine-crash-worker.ts)
 * run one pipeline on shared files, get killed a few pages into each run, and a last one
 * finishes; the files then tell whether any record was lost or written twice.
 */

/** The files the worker processes share. */
export interface CrashFiles {
  readonly dir: string;
  readonly state: string;
  readonly destination: string;
  readonly pageLog: string;
  readonly records: number;
  readonly pageSize: number;
}

export const CRASH_PIPELINE = 'crash';
export const CRASH_UNIT = 'all';

const crashWorker = join(import.meta.dirname, 'engine-crash-worker.ts');

export function createCrashFiles(prefix: string, records: number, pageSize: number): CrashFiles {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files: CrashFiles = {
    dir,
    state: join(dir, 'state.db'),
    destination: join(dir, 'dest.db'),
    pageLog: join(dir, 'pages.log'),
    records,
    pageSize,
  };
  writeFileSync(files.pageLog, '');
  return files;
}

/** engine-crash-worker.ts's arguments: the engine, the files, then the engine's own. */
export function crashWorkerArgs(
  engine: 'embedded' | 'temporal',
  files: CrashFiles,
  engineArgs: readonly string[] = [],
): string[] {
  return [
    engine,
    files.state,
    files.destination,
    files.pageLog,
    String(files.records),
    String(files.pageSize),
    ...engineArgs,
  ];
}

export interface CrashWorker {
  readonly child: ChildProcess;
  /** Resolves once the worker has read this many pages. */
  pages(count: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

export function startCrashWorker(args: readonly string[]): CrashWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', crashWorker, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pages = 0;
  let stderr = '';
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    pages += (chunk.toString().match(/PAGE/g) ?? []).length;
    for (const waiter of waiters.splice(0)) {
      if (pages >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    child,
    exited,
    pages: (count) =>
      new Promise<void>((resolve, reject) => {
        if (pages >= count) return resolve();
        waiters.push({ count, resolve });
        exited.then((code) => reject(new Error(`crash worker exited (${code}) early: ${stderr}`)));
      }),
  };
}

export interface CrashRun<T> {
  /** What `finished` answered once the last worker had finished the run. */
  readonly done: T;
  /** The pids of the workers that were SIGKILLed. */
  readonly killed: readonly number[];
}

/**
 * Starts a worker and SIGKILLs it after 3 to `3 + spread - 1` pages, `kills` times; then
 * starts one more and waits for `finished` (which throws until the run is done) before
 * stopping it with SIGTERM.
 */
export async function runWithKills<T>(options: {
  readonly args: readonly string[];
  readonly kills: number;
  readonly spread: number;
  readonly finished: () => Promise<T>;
}): Promise<CrashRun<T>> {
  const killed: number[] = [];
  for (let kill = 0; kill < options.kills; kill++) {
    const worker = startCrashWorker(options.args);
    try {
      await worker.pages(3 + Math.floor(Math.random() * options.spread));
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    killed.push(worker.child.pid!);
  }
  const last = startCrashWorker(options.args);
  try {
    return { done: await options.finished(), killed };
  } finally {
    last.child.kill('SIGTERM');
    await last.exited;
  }
}

export interface CrashOutcome {
  /** Objects in the destination, and distinct record keys among them. */
  readonly rows: number;
  readonly keys: number;
  /** Distinct pages read over all processes. */
  readonly pagesRead: number;
  /** Pages each process (by pid) read, and read again after an earlier process had. */
  readonly readBy: ReadonlyMap<string, number>;
  readonly reReadBy: ReadonlyMap<string, number>;
}

export function readCrashOutcome(files: CrashFiles): CrashOutcome {
  const db = new Database(files.destination, { readonly: true });
  const { rows, keys } = db
    .prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT key) AS keys FROM objects')
    .get() as { rows: number; keys: number };
  db.close();
  const readBefore = new Set<string>();
  const readBy = new Map<string, number>();
  const reReadBy = new Map<string, number>();
  for (const line of readFileSync(files.pageLog, 'utf8').trim().split('\n')) {
    const [pid, page] = line.split(' ') as [string, string];
    readBy.set(pid, (readBy.get(pid) ?? 0) + 1);
    if (readBefore.has(page)) reReadBy.set(pid, (reReadBy.get(pid) ?? 0) + 1);
    readBefore.add(page);
  }
  return { rows, keys, pagesRead: readBefore.size, readBy, reReadBy };
}

/**
 * Every record once (0 duplicates, none missing), every page read, each kill landed mid-run,
 * and each next process went on from the last committed page: it re-read at most
 * `maxPagesReReadPerKill` pages (README, Durability).
 */
export function expectResumedAfterKills(
  files: CrashFiles,
  killed: readonly number[],
  maxPagesReReadPerKill: number,
): CrashOutcome {
  const outcome = readCrashOutcome(files);
  const pages = files.records / files.pageSize;
  expect(outcome.keys).toBe(files.records);
  expect(outcome.rows).toBe(files.records);
  expect(outcome.pagesRead).toBe(pages);
  for (const pid of killed) expect(outcome.readBy.get(String(pid))).toBeLessThan(pages);
  for (const reReads of outcome.reReadBy.values()) {
    expect(reReads).toBeLessThanOrEqual(maxPagesReReadPerKill);
  }
  return outcome;
}
