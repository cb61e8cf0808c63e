/**
 * The state store's page commit alone (issue 15): N links committed in pages of 1,000 to the
 * SQLite store (a first sync: every link new, every key's dead letter resolved), then the same
 * keys again (every link updated). Prints wall and CPU time per 100,000 links of each (CPU is
 * the steadier figure on a shared machine).
 *
 *   node --import tsx bench/store-commit.bench.ts --links 200000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { emptyStats, openSqliteStore } from '../src/store/index.js';

const { values } = parseArgs({ options: { links: { type: 'string', default: '200000' } } });
const count = Number(values.links);
const pageSize = 1000;
const dir = mkdtempSync(join(tmpdir(), 'keepsync-commit-bench-'));
const store = openSqliteStore({ path: join(dir, 'state.db'), secretKey: new Uint8Array(32) });
const runId = await store.startRun('bench', 'all', 'manual');

async function pass(label: string, hashOf: (index: number) => string): Promise<void> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let first = 0; first < count; first += pageSize) {
    const links = [];
    for (let index = first; index < Math.min(count, first + pageSize); index++) {
      links.push({
        key: `rec-${index}`,
        destId: `rec-${index}`,
        hash: hashOf(index),
        sourceUpdatedMs: 1_700_000_000_000 + index,
        passId: undefined,
      });
    }
    await store.commitPage({
      pipeline: 'bench',
      unit: 'all',
      runId,
      cursor: { cursor: { v: first, k: `rec-${first}` }, passId: null },
      links,
      removedLinks: [],
      deadLetters: [],
      resolvedDeadLetters: links.map((link) => link.key),
      stats: emptyStats(),
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const per100k = (value: number) => ((value * 100_000) / count).toFixed(2);
  console.log(
    `${label.padEnd(14)} ${count.toLocaleString('en-US')} links: ${per100k(seconds)} s wall, ${per100k(cpuSeconds)} s CPU per 100k`,
  );
}

console.log(
  `load ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);
await pass('new links', (index) => `hash-${index}`);
await pass('updated links', (index) => `hash2-${index}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
