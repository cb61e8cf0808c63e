/**
 * The store half of an incremental two-way run: `loadPairsForKeys` for the keys a 1%-changed
 * run read (1,000 a side) over N settled pairs in the SQLite store. Prints the median of 7.
 *
 *   node --import tsx bench/twoway-load.bench.ts --pairs 100000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/store/index.js';
import { type PairState, twoWayStore } from '../src/twoway/index.js';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '100000' } } });
const count = Number(values.pairs);
const asked = Math.floor(count / 100);
const key = (i: number) => `k-${String(i).padStart(7, '0')}`;
const pair = (i: number): PairState => ({
  id: `p-${String(i).padStart(7, '0')}`,
  leftKey: key(i),
  rightKey: key(i),
  base: { left: { title: `Task ${i}`, notes: 'x'.repeat(80) }, right: { name: `Task ${i}` } },
  leftSeen: null,
  rightSeen: null,
  pending: null,
  inflight: null,
});

const dir = mkdtempSync(join(tmpdir(), 'keepsync-twoway-load-'));
const store = openSqliteStore({ path: join(dir, 'state.db'), secretKey: new Uint8Array(32) });
try {
  const tw = twoWayStore(store);
  for (let start = 0; start < count; start += 1000) {
    const pairs = Array.from({ length: Math.min(1000, count - start) }, (_, at) =>
      pair(start + at),
    );
    await tw.commit({ task: 't', pairs, removedPairs: [], conflicts: [], resolvedConflicts: [] });
  }
  const keys = {
    left: Array.from({ length: asked }, (_, i) => key(i * 100)),
    right: Array.from({ length: asked }, (_, i) => key(i * 100 + 50)),
  };
  const times: number[] = [];
  for (let round = 0; round < 7; round++) {
    const started = performance.now();
    const loaded = await tw.loadPairsForKeys('t', keys);
    times.push(performance.now() - started);
    if (loaded.length !== 2 * asked) throw new Error(`loaded ${loaded.length} pairs`);
  }
  times.sort((a, b) => a - b);
  console.log(
    `loadPairsForKeys, ${2 * asked} keys over ${count} pairs: median ${times[3]!.toFixed(1)} ms ` +
      `(min ${times[0]!.toFixed(1)}, max ${times[6]!.toFixed(1)})`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
