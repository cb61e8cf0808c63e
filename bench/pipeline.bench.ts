/**
 * Full sync and no-change re-run of N records (10 fields each) from `memory` into a SQLite
 * `sql` destination, with the SQLite store. Prints records/s and the process's peak RSS.
 *
 *   npm run bench -- --records 1000000
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as memory from '../src/connectors/memory/index.js';
import * as sql from '../src/connectors/sql/index.js';
import { openSqliteStore } from '../src/store/index.js';
import { definePipeline, runPipeline } from '../src/sync/index.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    page: { type: 'string', default: '1000' },
    /** No-change re-runs in a row; the JSON line reports the fastest (CPU), steadier when loaded. */
    reruns: { type: 'string', default: '1' },
    /** Writes a CPU profile of the no-change re-run alone to this file. */
    'profile-rerun': { type: 'string' },
  },
});
const count = Number(values.records);
const pageSize = Number(values.page);
const dir = mkdtempSync(join(tmpdir(), 'keepsync-bench-'));

const base = Date.UTC(2024, 0, 1);
function makeRecord(index: number) {
  return {
    key: `rec-${index}`,
    fields: {
      title: `Record number ${index}`,
      description: 'A benchmark record with a sentence of text in it.',
      stars: index % 5000,
      forks: index % 700,
      language: ['TypeScript', 'Go', 'Rust', 'Python'][index % 4]!,
      archived: index % 10 === 0,
      score: (index % 1000) / 10,
      url: `https://example.com/records/${index}`,
      owner: `owner-${index % 100}`,
      updated: new Date(base + index * 1000),
    },
  };
}

const store = openSqliteStore({ path: join(dir, 'state.db'), secretKey: new Uint8Array(32) });
const client = sql.sqliteClient(join(dir, 'destination.db'));
const pipeline = definePipeline({
  name: 'bench',
  source: memory.source({ units: { all: { count, record: makeRecord } }, pageSize }),
  destination: sql.destination({ client, table: 'records', createTable: true }),
});

/**
 * CPU seconds of the main thread alone (Linux; null elsewhere): process.cpuUsage counts every
 * thread, so with work on a worker this shows what is left on the event loop's thread.
 */
function mainThreadCpuSeconds(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function measure(label: string) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuSeconds();
  const result = await runPipeline({ store, pipeline, unit: 'all' });
  const seconds = (performance.now() - started) / 1000;
  // CPU (user + system) is the steadier figure on a loaded machine.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const mainAfter = mainThreadCpuSeconds();
  const mainCpuSeconds = mainBefore === null || mainAfter === null ? null : mainAfter - mainBefore;
  if (result.status !== 'succeeded') throw new Error(`${label} ${result.status}: ${result.error}`);
  const perSecond = Math.round(count / seconds);
  console.log(
    `${label.padEnd(16)} ${count.toLocaleString('en-US')} records in ${seconds.toFixed(2)} s = ${perSecond.toLocaleString('en-US')} records/s, ${cpuSeconds.toFixed(2)} s CPU (main thread ${mainCpuSeconds?.toFixed(2) ?? '?'} s) ` +
      `(created ${result.stats.created}, updated ${result.stats.updated}, unchanged ${result.stats.unchanged})`,
  );
  return { seconds, perSecond, cpuSeconds, mainCpuSeconds, stats: result.stats };
}

console.log(
  `node ${process.version}, ${cpus()[0]?.model} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
);
const full = await measure('full sync');
const profileFile = values['profile-rerun'];
const inspector = profileFile ? new Session() : null;
if (inspector) {
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.start');
}
const reruns = [];
for (let index = 0; index < Number(values.reruns); index++) {
  reruns.push(await measure('no-change re-run'));
}
const rerun = reruns.reduce((best, next) => (next.cpuSeconds < best.cpuSeconds ? next : best));
if (inspector && profileFile) {
  const { profile } = await inspector.post('Profiler.stop');
  writeFileSync(profileFile, JSON.stringify(profile));
  inspector.disconnect();
}
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(`peak RSS ${peakRssMb} MB`);
console.log(
  JSON.stringify({
    records: count,
    pageSize,
    full: full.perSecond,
    rerun: rerun.perSecond,
    rerunCpuSeconds: Number(rerun.cpuSeconds.toFixed(2)),
    rerunMainThreadCpuSeconds:
      rerun.mainCpuSeconds === null ? null : Number(rerun.mainCpuSeconds.toFixed(2)),
    peakRssMb,
  }),
);
await store.close();
rmSync(dir, { recursive: true, force: true });
