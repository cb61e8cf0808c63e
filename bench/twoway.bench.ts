/**
 * Two-way merge planning for N linked pairs with 1% of objects changed on each side, with
 * full reads (every object read on both sides) and with incremental reads (only the changed
 * ones), then one whole run (SQLite store load, plan, writes, checkpoint) with incremental
 * memory tables. Prints times and memory.
 *
 *   node --expose-gc --import tsx bench/twoway.bench.ts --pairs 100000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as memory from '../src/connectors/memory/index.js';
import type { SyncRecord } from '../src/model/index.js';
import { openSqliteStore } from '../src/store/index.js';
import {
  defineTwoWay,
  type PairState,
  planTwoWay,
  runTwoWay,
  type SideRead,
  type TwoWaySide,
  twoWayStore,
} from '../src/twoway/index.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '100000' },
    changed: { type: 'string', default: '0.01' },
    repeat: { type: 'string', default: '5' },
  },
});
const count = Number(values.pairs);
const share = Number(values.changed);
const repeat = Number(values.repeat);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

const at = new Date(Date.UTC(2024, 0, 1));
const leftFields = (i: number) => ({
  title: `Task number ${i}`,
  done: i % 3 === 0,
  estimate: i % 13,
  tags: ['work', i % 2 ? 'home' : 'errand'],
});
const rightFields = (i: number) => ({
  name: `Task number ${i}`,
  completed: i % 3 === 0,
  points: i % 13,
  labels: ['work', i % 2 ? 'home' : 'errand'],
});
const fieldMap = { title: 'name', done: 'completed', estimate: 'points', tags: 'labels' };
const key = (i: number) => `task-${i}`;

// 1% changed per side, chosen independently, so about 1% of those change on both sides
// (on different fields: they merge cleanly).
const step = Math.round(1 / share);
const changedLeft = (i: number) => i % step === 0;
const changedRight = (i: number) => Math.imul(i, 2654435761) >>> 0 < 2 ** 32 / step;

function pairs(): PairState[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `pair-${i}`,
    leftKey: key(i),
    rightKey: key(i),
    base: { left: leftFields(i), right: rightFields(i) },
    leftSeen: null,
    rightSeen: null,
    pending: null,
  }));
}

function reads(full: boolean): { left: SideRead; right: SideRead } {
  const left = new Map<string, SyncRecord>();
  const right = new Map<string, SyncRecord>();
  for (let i = 0; i < count; i++) {
    if (full || changedLeft(i)) {
      const fields = changedLeft(i) ? { ...leftFields(i), title: `Edited ${i}` } : leftFields(i);
      left.set(key(i), { key: key(i), fields, updatedAt: at });
    }
    if (full || changedRight(i)) {
      const fields = changedRight(i)
        ? { ...rightFields(i), completed: i % 3 !== 0 }
        : rightFields(i);
      right.set(key(i), { key: key(i), fields, updatedAt: at });
    }
  }
  return {
    left: { records: left, complete: full, liveKeys: null },
    right: { records: right, complete: full, liveKeys: null },
  };
}

const stubSide: TwoWaySide = {
  name: 'stub',
  mode: 'full',
  async *read() {},
  async write(writes) {
    return writes.map(() => ({ status: 'ok' as const }));
  },
};
const task = defineTwoWay({ name: 'bench', left: stubSide, right: stubSide, fields: fieldMap });

function benchPlan(label: string, full: boolean): void {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const input = { task, pairs: pairs(), ...reads(full), conflicts: [] };
  gc();
  const heapInput = process.memoryUsage().heapUsed;
  const times: number[] = [];
  let actions = 0;
  let retained = 0;
  for (let r = 0; r < repeat; r++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const plan = planTwoWay(input);
    times.push(performance.now() - started);
    retained = process.memoryUsage().heapUsed - before;
    actions = plan.actions.length;
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label}: plan ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms median of ${repeat} ` +
      `(min ${times[0]!.toFixed(0)}, max ${times.at(-1)!.toFixed(0)}), ${actions} pairs to write, ` +
      `inputs ${mb(heapInput - heapBefore)} heap, heap grown while planning ${mb(retained)}`,
  );
}

async function benchRun(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-twoway-bench-'));
  const store = openSqliteStore({ path: join(dir, 'state.db'), secretKey: new Uint8Array(32) });
  try {
    const left = memory.table({ name: 'left', mode: 'incremental' });
    const right = memory.table({ name: 'right', mode: 'incremental' });
    for (let i = 0; i < count; i++) {
      left.put(key(i), leftFields(i));
      right.put(key(i), rightFields(i));
    }
    const full = defineTwoWay({
      name: 'bench-run',
      left: left.side,
      right: right.side,
      fields: fieldMap,
      batchSize: 1000,
    });
    const cpuSeconds = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since);
      return ((used.user + used.system) / 1e6).toFixed(2);
    };
    let started = performance.now();
    let cpu = process.cpuUsage();
    const first = await runTwoWay({ store, task: full });
    const initialMs = performance.now() - started;
    const initialCpu = cpuSeconds(cpu);
    for (let i = 0; i < count; i++) {
      if (changedLeft(i)) left.patch(key(i), { title: `Edited ${i}` });
      if (changedRight(i)) right.patch(key(i), { completed: i % 3 !== 0 });
    }
    gc();
    started = performance.now();
    cpu = process.cpuUsage();
    const second = await runTwoWay({ store, task: full });
    const incrementalMs = performance.now() - started;
    const incrementalCpu = cpuSeconds(cpu);
    const pairsStored = await twoWayStore(store).countPairs('bench-run');
    console.log(
      `whole run, SQLite store, incremental memory tables: initial match of ${first.report.matched} pairs ${(initialMs / 1000).toFixed(2)} s (${initialCpu} s CPU); ` +
        `then ${second.report.updatedLeft + second.report.updatedRight} updates (${second.report.conflicts} conflicts) in ${(incrementalMs / 1000).toFixed(2)} s (${incrementalCpu} s CPU); ${pairsStored} pairs stored`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `${count} linked pairs, ${share * 100}% changed per side, 4 fields; ${cpus().length} × ${cpus()[0]?.model.trim()}, ${mb(totalmem())}, Node ${process.version}`,
);
benchPlan('full reads (every object on both sides)', true);
benchPlan('incremental reads (changed objects only)', false);
await benchRun();
console.log(`peak RSS of the process: ${mb(process.resourceUsage().maxRSS * 1024)}`);
