/**
 * The SQLite store under a 1%-changed run (issue 15): a store holding N links (a first sync's,
 * in pages of 1,000), reopened as a new run would, then ten pages of 1,000 changed records
 * whose keys are spread over the whole table (every 100th key), as the db-to-db bench's
 * changed rows are. Prints the wall time of the link comparisons and of the page commits, and
 * the CPU of the reopened part, for each of `--rounds` rounds on a fresh copy of the store.
 *
 *   node --import tsx bench/store-spread-update.bench.ts --links 1000000 --rounds 3
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { emptyStats, type LinkWrite, openSqliteStore } from '../src/store/index.js';

const { values } = parseArgs({
  options: {
    links: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
  },
});
const count = Number(values.links);
const rounds = Number(values.rounds);
const pageSize = 1000;
const pages = 10;
const every = Math.floor(count / (pages * pageSize));
const secretKey = new Uint8Array(32);
const keyOf = (index: number) => `k${String(index).padStart(7, '0')}`;
const hashOf = (index: number, version: number) =>
  createHash('sha256').update(`${index}:${version}`).digest('hex');
const linkOf = (index: number, version: number): LinkWrite => ({
  key: keyOf(index),
  destId: keyOf(index),
  hash: hashOf(index, version),
  sourceUpdatedMs: 1_700_000_000_000 + index,
  passId: undefined,
});

async function commit(
  store: ReturnType<typeof openSqliteStore>,
  runId: number,
  links: LinkWrite[],
  cursor: number,
) {
  await store.commitPage({
    pipeline: 'events',
    unit: 'events',
    runId,
    cursor: { cursor: { v: cursor, k: keyOf(cursor) }, passId: null },
    links,
    removedLinks: [],
    deadLetters: [],
    resolvedDeadLetters: links.map((link) => link.key),
    stats: emptyStats(),
  });
}

const dir = mkdtempSync(join(tmpdir(), 'keepsync-spread-bench-'));
const built = join(dir, 'built.db');
try {
  const first = openSqliteStore({ path: built, secretKey });
  const firstRun = await first.startRun('events', 'events', 'manual');
  for (let start = 0; start < count; start += pageSize) {
    const links = [];
    for (let index = start; index < Math.min(count, start + pageSize); index++) {
      links.push(linkOf(index, 0));
    }
    await commit(first, firstRun, links, start);
  }
  await first.close();
  console.log(
    `${count.toLocaleString('en-US')} links; ${pages} pages of ${pageSize} changed, every ${every}th key; load ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  );

  for (let round = 1; round <= rounds; round++) {
    const path = join(dir, `round-${round}.db`);
    copyFileSync(built, path);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const store = openSqliteStore({ path, secretKey });
    const runId = await store.startRun('events', 'events', 'manual');
    let compareMs = 0;
    let commitMs = 0;
    for (let page = 0; page < pages; page++) {
      const changed: LinkWrite[] = [];
      for (let offset = 0; offset < pageSize; offset++) {
        changed.push(linkOf((page * pageSize + offset) * every + round, round));
      }
      const beforeCompare = performance.now();
      const links = await store.getChangedLinks(
        'events',
        new Map(changed.map((link) => [link.key, link.hash])),
      );
      const beforeCommit = performance.now();
      if (links.size !== pageSize) throw new Error(`expected ${pageSize} changed links`);
      await commit(store, runId, changed, page);
      commitMs += performance.now() - beforeCommit;
      compareMs += beforeCommit - beforeCompare;
    }
    await store.close();
    const cpu = process.cpuUsage(cpuBefore);
    console.log(
      `round ${round}: compare ${compareMs.toFixed(0)} ms, commit ${commitMs.toFixed(0)} ms, ` +
        `in all ${(performance.now() - started).toFixed(0)} ms wall, ` +
        `${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (load ${loadavg()[0]!.toFixed(1)})`,
    );
    rmSync(path, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
