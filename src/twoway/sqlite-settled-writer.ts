import { Worker } from 'node:worker_threads';
import type { BusyWaitOptions } from '../store/index.js';
import { baseJson, toJsonOrNull } from './rows.js';
import type { SettledWriter } from './settled-writer.js';
import type { PairState } from './types.js';

/** One commit as the worker receives it: the pairs' columns flat, already serialized. */
export interface SettledCommitMessage {
  readonly task: string;
  readonly columns: Array<string | null>;
  readonly runId: number;
  /** The run row's stats, as JSON. */
  readonly stats: string;
}

export type SettledCommitReply =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string | null; readonly message: string };

/**
 * Settled pairs stored by a worker thread with its own connection to the SQLite file, so
 * the caller serializes the next commit (or goes on planning) while SQLite inserts this
 * one. The worker commits in arrival order, one transaction each, waiting out other
 * writers as the store's own connection does.
 */
export function openSqliteSettledWriter(options: {
  path: string;
  busyWait: BusyWaitOptions;
}): SettledWriter {
  const worker = startWorker(options);
  const waiting: Array<{ done: () => void; fail: (error: Error) => void }> = [];
  let failure: Error | null = null;
  let last: Promise<void> = Promise.resolve();
  const failAll = (error: Error) => {
    failure ??= error;
    for (const entry of waiting.splice(0)) entry.fail(failure);
  };
  worker.on('message', (reply: SettledCommitReply) => {
    if (reply.ok) waiting.shift()?.done();
    else failAll(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`The settled-pairs writer exited (code ${code})`)));
  return {
    write(commit, onCommitted) {
      if (failure) return;
      const columns: Array<string | null> = [];
      for (const pair of commit.pairs) appendPairColumns(columns, pair);
      const message: SettledCommitMessage = {
        task: commit.task,
        columns,
        runId: commit.run.id,
        stats: JSON.stringify(commit.run.stats),
      };
      last = new Promise((resolve, reject) => {
        waiting.push({
          done: () => {
            onCommitted();
            resolve();
          },
          fail: reject,
        });
      });
      last.catch(() => {});
      worker.postMessage(message);
    },
    async flush() {
      await last;
      if (failure) throw failure;
    },
    async close() {
      await last.catch(() => {});
      await worker.terminate();
    },
  };
}

function startWorker(workerData: { path: string; busyWait: BusyWaitOptions }): Worker {
  const compiled = import.meta.url.endsWith('.js');
  const entry = new URL(`./sqlite-settled-worker.${compiled ? 'js' : 'ts'}`, import.meta.url);
  if (compiled) return new Worker(entry, { workerData });
  // Run from source (tests, benches under tsx): the worker loads tsx before its entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** Appends a pair's columns as `PUT_PAIR_SQL` binds them, serialized, to a commit's flat list. */
function appendPairColumns(columns: Array<string | null>, pair: PairState): void {
  columns.push(
    pair.id,
    pair.leftKey,
    pair.rightKey,
    baseJson(pair.base),
    toJsonOrNull(pair.leftSeen),
    toJsonOrNull(pair.rightSeen),
    pair.pending,
    toJsonOrNull(pair.inflight),
  );
}
