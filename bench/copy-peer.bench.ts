/**
 * keepsync copy beside microcosm-resourcesync 2.0 (`resource-sync`), on the same local HAL
 * server (bench/support/hal-listing.ts): HTTP -> an empty directory, and a directory -> an
 * empty HTTP server, the tools alternating, each run a process of its own timed whole (start-up
 * included) with its peak RSS from /usr/bin/time. resource-sync is installed on first use into
 * bench/peers/resourcesync/.venv (kept out of keepsync's dependencies).
 *
 *   npm run build && node --import tsx bench/copy-peer.bench.ts --resources 10000 --rounds 3
 *
 * What each tool does differs: keepsync reads the destination first (so unchanged resources
 * are not written), checks every resource before writing, writes each file atomically with an
 * fsync and PUTs 8 at a time in dependency order; resource-sync writes files without fsync and
 * PUTs one at a time, reading nothing of the destination.
 */
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { serveHalListing } from './support/hal-listing.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '10000' },
    page: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    role: { type: 'string' },
  },
});
const count = Number(values.resources);
const pageSize = Number(values.page);
const rounds = Number(values.rounds);
const here = dirname(import.meta.filename);
const venv = join(here, 'peers', 'resourcesync', '.venv');
const resourceSync = join(venv, 'bin', 'resource-sync');
const keepsyncCli = join(here, '..', 'dist', 'cli', 'main.js');

/** resource-sync in a venv of its own; reused when it is already there. */
function ensureResourceSync(): void {
  if (existsSync(resourceSync)) return;
  console.log('installing microcosm-resourcesync into bench/peers/resourcesync/.venv ...');
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(
    join(venv, 'bin', 'python'),
    ['-m', 'pip', 'install', '-q', '-r', join(here, 'peers', 'resourcesync', 'requirements.txt')],
    { stdio: 'inherit' },
  );
}

interface Run {
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

/** One process, timed by /usr/bin/time: wall, user + system CPU, peak RSS. */
function timed(command: string, args: string[], scratch: string): Run {
  const report = join(scratch, 'time.txt');
  try {
    execFileSync('/usr/bin/time', ['-o', report, '-f', '%e %U %S %M', command, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 26,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    throw new Error(`${command} ${args.join(' ')} failed:\n${stderr.slice(-2000)}`);
  }
  const [wall, user, system, rssKb] = readFileSync(report, 'utf8').trim().split(/\s+/).map(Number);
  return {
    seconds: wall!,
    cpuSeconds: user! + system!,
    peakRssMb: Math.round(rssKb! / 1024),
  };
}

type Tool = 'keepsync' | 'resource-sync';

function command(tool: Tool, origin: string, destination: string): [string, string[]] {
  return tool === 'keepsync'
    ? [process.execPath, [keepsyncCli, 'copy', '--quiet', origin, destination]]
    : [resourceSync, [origin, destination]];
}

async function puts(base: string): Promise<number> {
  const stats = (await (await fetch(`${base}/stats?reset`)).json()) as { puts: number };
  return stats.puts;
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  if (!existsSync(keepsyncCli)) throw new Error('Run `npm run build` first: dist/ is missing');
  ensureResourceSync();
  const server = fork(
    import.meta.filename,
    ['--role', 'server', '--resources', String(count), '--page', String(pageSize)],
    { execArgv: ['--import', 'tsx'] },
  );
  const port = await new Promise<number>((resolve) =>
    server.once('message', (message) => resolve((message as { port: number }).port)),
  );
  const base = `http://127.0.0.1:${port}`;
  const scratch = mkdtempSync(join(tmpdir(), 'keepsync-copy-peer-'));
  const results = new Map<string, Run[]>();
  const record = (key: string, run: Run) => results.set(key, [...(results.get(key) ?? []), run]);
  try {
    console.log(
      `copy beside resource-sync: ${count.toLocaleString('en-US')} resources, pages of ${pageSize}, ${rounds} rounds; node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GB; load ${loadavg()
        .map((load) => load.toFixed(1))
        .join(' ')}`,
    );
    for (let round = 0; round < rounds; round++) {
      const tools: Tool[] =
        round % 2 === 0 ? ['keepsync', 'resource-sync'] : ['resource-sync', 'keepsync'];
      for (const tool of tools) {
        const target = join(scratch, `out-${tool}`);
        const read = timed(...command(tool, `${base}/api/all`, target), scratch);
        record(`HTTP -> directory|${tool}`, read);
        await puts(base);
        // Each tool reads back the directory it wrote: resource-sync's PyYAML (YAML 1.1) reads
        // the ISO date strings of keepsync's YAML 1.2 files as timestamps and cannot send them.
        const write = timed(...command(tool, target, `${base}/sink`), scratch);
        rmSync(target, { recursive: true, force: true });
        const got = await puts(base);
        if (got !== count)
          throw new Error(`${tool}: expected ${count} PUTs, the server got ${got}`);
        record(`directory -> HTTP|${tool}`, write);
        console.log(
          `round ${round + 1} ${tool.padEnd(13)} HTTP -> directory ${read.seconds.toFixed(1)} s (${read.peakRssMb} MB), directory -> HTTP ${write.seconds.toFixed(1)} s (${write.peakRssMb} MB)`,
        );
      }
    }
    console.log(
      `load after: ${loadavg()
        .map((load) => load.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      '\n| scenario | keepsync: wall (CPU), peak RSS | resource-sync: wall (CPU), peak RSS | keepsync speed-up |',
    );
    console.log('|---|---:|---:|---:|');
    for (const scenario of ['HTTP -> directory', 'directory -> HTTP']) {
      const cell = (tool: Tool) => {
        const runs = results.get(`${scenario}|${tool}`)!;
        return {
          seconds: median(runs.map((run) => run.seconds)),
          text: `${median(runs.map((run) => run.seconds)).toFixed(1)} s (${median(runs.map((run) => run.cpuSeconds)).toFixed(1)} s), ${median(runs.map((run) => run.peakRssMb))} MB`,
        };
      };
      const ours = cell('keepsync');
      const theirs = cell('resource-sync');
      console.log(
        `| ${scenario}, ${count.toLocaleString('en-US')} | ${ours.text} | ${theirs.text} | ${(theirs.seconds / ours.seconds).toFixed(2)}x |`,
      );
    }
  } finally {
    server.kill();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (values.role === 'server') serveHalListing(count, pageSize);
else await main();
