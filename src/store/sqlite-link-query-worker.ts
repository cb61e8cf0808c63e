import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The link comparison's one row: how many keys are linked, and the changed links as JSON. */
export type LinkQueryRow = [linked: number, changedJson: string];

/**
 * The link comparison of the SQLite store, run on a worker thread with its own read-only
 * connection (WAL lets it read beside the store's writer). The query is a fifth of a no-change
 * pass's CPU; on the worker it overlaps the hashing of the next page read ahead. The caller
 * sends a page's query only after the previous page is committed, so the worker reads every
 * committed link: no answer is older than the commit before it.
 */
export interface LinkQueryWorker {
  /** Rejects when the worker failed or cannot answer; the caller then queries on its own. */
  query(hashes: ReadonlyMap<string, string | null>, pipeline: string): Promise<LinkQueryRow>;
  /** True once the worker has failed: later queries reject at once. */
  readonly failed: boolean;
  close(): Promise<void>;
}

export interface LinkQueryWorkerOptions {
  /** The store's database file. */
  readonly path: string;
  /** The comparison; its first parameter is the page's `{ key: hash }` JSON, its second the pipeline. */
  readonly sql: string;
  /** Called once if the worker fails (its queries are rejected). */
  readonly onFailure: (error: unknown) => void;
}

// CommonJS run by the worker (eval): the driver is resolved here so the worker needs no file
// of its own, from src/ under tsx as from dist/. The page's hashes come as a Map, cheaper to
// send than their JSON is to build and flatten on the main thread. A query error is answered,
// not thrown, so one busy read does not end the worker.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 1000');
const compare = db.prepare(workerData.sql).raw(true);
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    let json = '';
    for (const [key, hash] of message.hashes) {
      json += (json === '' ? '{' : ',') + JSON.stringify(key) + ':' + JSON.stringify(hash);
    }
    parentPort.postMessage({ id: message.id, row: compare.get(json + '}', message.pipeline) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message) });
  }
});
`;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

type Reply = { id: number; row: LinkQueryRow } | { id: number; error: string };
type Pending = { resolve: (row: LinkQueryRow) => void; reject: (error: unknown) => void };

export function startLinkQueryWorker(options: LinkQueryWorkerOptions): LinkQueryWorker {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver: driverPath, path: options.path, sql: options.sql },
  });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failed = false;
  let closing = false;

  const fail = (error: unknown) => {
    if (failed || closing) return;
    failed = true;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
    options.onFailure(error);
  };
  worker.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    // Held open only while a query is out, so an idle store never keeps the process alive.
    if (pending.size === 0) worker.unref();
    if ('row' in reply) waiter.resolve(reply.row);
    else waiter.reject(new Error(`link query worker: ${reply.error}`));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`link query worker exited with code ${code}`)));
  // After the listeners: attaching one refs the worker again.
  worker.unref();

  return {
    get failed() {
      return failed;
    },
    query(hashes, pipeline) {
      if (failed || closing) return Promise.reject(new Error('link query worker is not running'));
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      return new Promise<LinkQueryRow>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, hashes, pipeline });
      });
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const waiter of pending.values()) waiter.reject(new Error('the store was closed'));
      pending.clear();
      if (!failed) await worker.terminate();
    },
  };
}
