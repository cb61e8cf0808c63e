// How long an engine takes to resume after its PostgreSQL store comes back.
// node --import tsx bench/store-outage.bench.ts [--outages 1000,3000,10000] [--poll 1000] [--max-backoff 5000]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPgServer } from '../test/support/pg-server.js';

const { values } = parseArgs({
  options: {
    outages: { type: 'string', default: '1000,3000,10000' },
    poll: { type: 'string', default: '1000' },
    'max-backoff': { type: 'string', default: '5000' },
  },
});
const outages = values.outages.split(',').map(Number);
// The engine worker of the store-outage test: one unit of 4,000 records in pages of 40.
const worker = join(import.meta.dirname, '../test/engine/store-outage-worker.ts');

const pg = await startPgServer();
const dir = mkdtempSync(join(tmpdir(), 'keepsync-bench-outage-'));
console.log(
  `load average before: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
console.log(`engine poll ${values.poll} ms, longest store back-off ${values['max-backoff']} ms`);
console.log('| outage | store back -> engine polls again | store back -> next page committed |');
console.log('|---:|---:|---:|');
try {
  for (const [trial, outageMs] of outages.entries()) {
    const lines: Array<{ at: number; line: string }> = [];
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        worker,
        pg.url,
        join(dir, `journal-${trial}.db`),
        '4000',
        '40',
        '50',
        values.poll,
        values['max-backoff'],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let partial = '';
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const complete = partial.split('\n');
      partial = complete.pop()!;
      for (const line of complete) lines.push({ at: performance.now(), line });
      for (const wake of waiters.splice(0)) wake();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const lineAfter = async (pattern: RegExp, since: number) => {
      for (;;) {
        const found = lines.find((entry) => entry.at >= since && pattern.test(entry.line));
        if (found) return found.at;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    await lineAfter(/^PAGE ([4-9]\d\d|\d{4})$/, 0);
    await pg.stop();
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    await pg.start();
    const back = performance.now();
    const polled = await lineAfter(/^LOG store reachable again/, back);
    const paged = await lineAfter(/^PAGE /, back);
    const code = await exited;
    if (code !== 0) throw new Error(`engine worker exited with ${code}`);
    console.log(
      `| ${outageMs / 1000} s | ${Math.round(polled - back)} ms | ${Math.round(paged - back)} ms |`,
    );
    // A new database for the next trial's unit: the worker's pipeline starts from scratch.
    await resetStore(pg.url);
  }
} finally {
  await pg.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `load average after: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);

async function resetStore(url: string): Promise<void> {
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP SCHEMA keepsync CASCADE');
  await client.end();
}
