/**
 * keepsync copy at scale on loopback: N HAL resources (1% groups, the rest items linking to a
 * group, so writes have two dependency layers) HTTP -> directory, the same again with nothing
 * changed, then directory -> an empty HTTP server. Each phase runs in its own process, so its
 * peak RSS is its own; the server runs in another. Each phase runs the built library
 * (bench/support/copy-phase.mjs over dist/, as the CLI does), so build first.
 *
 *   npm run build && node --import tsx bench/copy.bench.ts --resources 100000
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchResource } from './support/hal-listing.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '100000' },
    page: { type: 'string', default: '1000' },
    role: { type: 'string' },
  },
});
const count = Number(values.resources);
const pageSize = Number(values.page);

/** Serves the listing at /api/all (generated, not stored) and counts PUTs. */
function serve(): void {
  let puts = 0;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://bench');
    const host = `http://${request.headers.host}`;
    if (request.method === 'GET' && url.pathname === '/api/all') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const start = (page - 1) * pageSize;
      const items = [];
      for (let index = start; index < Math.min(count, start + pageSize); index++) {
        items.push(benchResource(index, count, host));
      }
      const links: Record<string, { href: string }> = {
        self: { href: `${host}/api/all?page=${page}` },
      };
      if (start + pageSize < count) links.next = { href: `/api/all?page=${page + 1}` };
      response.setHeader('content-type', 'application/hal+json');
      response.end(JSON.stringify({ count, _links: links, _embedded: { items } }));
      return;
    }
    if (request.method === 'GET' && url.pathname === '/stats') {
      response.end(JSON.stringify({ puts }));
      return;
    }
    if (request.method === 'PUT') {
      request.resume();
      request.on('end', () => {
        puts++;
        response.statusCode = 201;
        response.end();
      });
      return;
    }
    response.statusCode = 404;
    response.end('{}');
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
}

function runPhase(label: string, origin: string, destination: string): void {
  const output = execFileSync(
    process.execPath,
    [join(dirname(import.meta.filename), 'support', 'copy-phase.mjs'), origin, destination],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as {
    seconds: number;
    cpuSeconds: number;
    read: number;
    written: number;
    unchanged: number;
    peakRssMb: number;
  };
  const perSecond = Math.round(result.read / result.seconds);
  console.log(
    `${label.padEnd(34)} ${result.read.toLocaleString('en-US')} resources (${result.written.toLocaleString('en-US')} written, ${result.unchanged.toLocaleString('en-US')} unchanged) in ${result.seconds.toFixed(1)} s (${result.cpuSeconds.toFixed(1)} s CPU) = ${perSecond.toLocaleString('en-US')} resources/s, peak RSS ${result.peakRssMb} MB, load ${loadavg()[0]!.toFixed(1)}`,
  );
}

async function main(): Promise<void> {
  const server = fork(
    import.meta.filename,
    ['--role', 'server', '--resources', String(count), '--page', String(pageSize)],
    {
      execArgv: ['--import', 'tsx'],
    },
  );
  const port = await new Promise<number>((resolve) =>
    server.once('message', (message) => resolve((message as { port: number }).port)),
  );
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-copy-bench-'));
  const base = `http://127.0.0.1:${port}`;
  try {
    console.log(
      `keepsync copy bench: ${count.toLocaleString('en-US')} resources, pages of ${pageSize}; node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GB`,
    );
    runPhase('HTTP -> directory', `${base}/api/all`, join(dir, 'data'));
    runPhase('HTTP -> directory (no change)', `${base}/api/all`, join(dir, 'data'));
    runPhase('directory -> empty HTTP server', join(dir, 'data'), `${base}/sink`);
    const stats = (await (await fetch(`${base}/stats`)).json()) as { puts: number };
    if (stats.puts !== count)
      throw new Error(`expected ${count} PUTs, the server got ${stats.puts}`);
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.role === 'server') serve();
else await main();
