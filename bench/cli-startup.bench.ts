/**
 * CLI start-up: `keepsync --help` and `keepsync status` (config load + store open) beside a
 * bare `node -e 0`: median wall time, and the children's mean CPU (user + system, from bash's
 * `times`), which is steadier than wall time on a loaded machine.
 * `npm run build && node --import tsx bench/cli-startup.bench.ts [runs]`
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 20);
// KEEPSYNC_DIST=<another checkout>/dist measures that build instead (a before/after pair).
const dist = process.env.KEEPSYNC_DIST ?? join(import.meta.dirname, '../dist');
const main = join(dist, 'cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'keepsync-startup-'));
writeFileSync(
  join(dir, 'keepsync.config.ts'),
  `import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
export default defineConfig({ pipelines: [{ name: 'p', source: memory.source({ units: { u: [] } }), destination: memory.destination() }] });
`,
);

// The same config as plain JavaScript, in a project where `keepsync` is this install.
const mjsDir = mkdtempSync(join(tmpdir(), 'keepsync-startup-mjs-'));
mkdirSync(join(mjsDir, 'node_modules'));
symlinkSync(join(dist, '..'), join(mjsDir, 'node_modules', 'keepsync'), 'dir');
writeFileSync(
  join(mjsDir, 'keepsync.config.mjs'),
  readFileSync(join(dir, 'keepsync.config.ts'), 'utf8'),
);

const cases: Array<[string, string]> = [
  ['node -e 0', `'${process.execPath}' -e 0`],
  ['keepsync --help', `'${process.execPath}' '${main}' --help`],
  ['keepsync status', `'${process.execPath}' '${main}' status`],
  ['keepsync status (.mjs config)', `cd '${mjsDir}' && '${process.execPath}' '${main}' status`],
];

const seconds = (value: string): number => {
  const match = /(\d+)m([\d.]+)s/.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
};

console.log(`${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}, ${runs} runs each`);
console.log('| command | wall median (ms) | CPU mean (ms) |');
console.log('|---|---:|---:|');
for (const [label, command] of cases) {
  // One line of wall nanoseconds per run, then bash's `times` (its children's CPU last).
  const script = `for i in $(seq ${runs}); do s=$(date +%s%N); ${command} >/dev/null || exit 1; echo $(( $(date +%s%N) - s )); done; times`;
  const result = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${label} failed: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  const wall = lines
    .slice(0, runs)
    .map((line) => Number(line) / 1e6)
    .sort((a, b) => a - b);
  const [user = '', system = ''] = lines.at(-1)!.split(/\s+/);
  const cpu = ((seconds(user) + seconds(system)) * 1000) / runs;
  console.log(`| ${label} | ${wall[Math.floor(runs / 2)]!.toFixed(0)} | ${cpu.toFixed(0)} |`);
}
