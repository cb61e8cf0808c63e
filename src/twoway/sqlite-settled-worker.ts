/**
 * Worker thread of `openSqliteSettledWriter`: its own connection to the store's file, which
 * stores settled pairs commit by commit, in the order they arrive, while the main thread
 * goes on planning. Once a commit fails, it stores nothing more.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type BusyWaitOptions, retryWhileBusy, SQLITE_SYNC_BUSY_MS } from '../store/index.js';
import { PAIR_COLUMNS, PUT_PAIR_SQL, RUN_STATS_SQL } from './sqlite-pairs.js';
import type { SettledCommitMessage, SettledCommitReply } from './sqlite-settled-writer.js';

const { path, busyWait } = workerData as { path: string; busyWait: BusyWaitOptions };
const port = parentPort!;
const db = new Database(path);
db.pragma(`busy_timeout = ${SQLITE_SYNC_BUSY_MS}`);
db.pragma('synchronous = NORMAL');
const putPair = db.prepare(PUT_PAIR_SQL);
const runStats = db.prepare(RUN_STATS_SQL);

const commit = db.transaction((message: SettledCommitMessage) => {
  const { task, columns: c } = message;
  const now = Date.now();
  for (let at = 0; at < c.length; at += PAIR_COLUMNS) {
    putPair.run(
      task,
      c[at],
      c[at + 1],
      c[at + 2],
      c[at + 3],
      c[at + 4],
      c[at + 5],
      c[at + 6],
      c[at + 7],
      now,
    );
  }
  runStats.run(message.stats, message.runId);
});

let queue: Promise<void> = Promise.resolve();
let failed = false;
port.on('message', (message: SettledCommitMessage) => {
  queue = queue.then(async () => {
    let reply: SettledCommitReply = { ok: true };
    if (failed) reply = { ok: false, code: 'ABORTED', message: 'An earlier settled commit failed' };
    else {
      try {
        await retryWhileBusy(() => commit.immediate(message), busyWait);
      } catch (error) {
        failed = true;
        const { code, message: text } = error as { code?: unknown; message?: unknown };
        reply = { ok: false, code: typeof code === 'string' ? code : null, message: String(text) };
      }
    }
    port.postMessage(reply);
  });
});
