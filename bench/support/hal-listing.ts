/**
 * A local HAL server for the copy benches: N resources (1% groups, the rest items linking to a
 * group, so writes have two dependency layers) listed at /api/all in pages linked by an
 * absolute `next`, with the items in a top-level `items` list (the microcosm convention, which
 * keepsync and microcosm-resourcesync both read). PUTs are counted; /stats tells and resets.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export function benchResource(index: number, count: number, host: string) {
  const groups = Math.max(1, Math.floor(count / 100));
  if (index < groups) {
    return {
      id: index,
      name: `Group ${index}`,
      _links: { self: { href: `${host}/api/groups/${index}` } },
    };
  }
  return {
    id: index,
    title: `Item number ${index}`,
    description: 'A benchmark resource with a sentence of text in it.',
    stars: index % 5000,
    language: ['TypeScript', 'Go', 'Rust', 'Python'][index % 4],
    archived: index % 10 === 0,
    updated: new Date(Date.UTC(2024, 0, 1) + index * 1000).toISOString(),
    _links: {
      self: { href: `${host}/api/items/${index}` },
      group: { href: `${host}/api/groups/${index % groups}` },
    },
  };
}

/** Listens on a free loopback port and tells the parent process the port. */
export function serveHalListing(count: number, pageSize: number): void {
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
      if (start + pageSize < count) links.next = { href: `${host}/api/all?page=${page + 1}` };
      // resource-sync takes application/json, not application/hal+json.
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ count, _links: links, items }));
      return;
    }
    if (request.method === 'GET' && url.pathname === '/stats') {
      response.end(JSON.stringify({ puts }));
      if (url.searchParams.has('reset')) puts = 0;
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
    response.setHeader('content-type', 'application/json');
    response.end('{}');
  });
  // Idle connections stay open: the bench's own /stats request after a long run would
  // otherwise race the server closing the socket it reuses.
  server.keepAliveTimeout = 0;
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
}
