import { request as httpRequest } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { constants, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/client/index.js';
import { upsert } from '../server/helpers.js';
import { eventually, startClient, startTestServer, type TestServer } from './helpers.js';

/**
 * A proxy for `/sync/full` that answers close-delimited (no length, no chunks), as some proxies
 * do, and closes the connection after `cutAt(size)` bytes of the body for the next cuts. A cut
 * gzip body read by Node's fetch then ends cleanly, just short: undici decodes with
 * `finishFlush: Z_SYNC_FLUSH`, so a truncated gzip stream raises no error.
 */
function startCuttingProxy(upstream: string, encoding: 'gzip' | 'identity') {
  const cuts: Array<(body: Buffer) => number> = [];
  const served: Array<{ size: number; sent: number }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (head) => {
      const [, path] = head.toString('latin1').split(' ');
      const auth = /authorization: (.*)\r\n/i.exec(head.toString('latin1'))?.[1] ?? '';
      const upstreamRequest = httpRequest(
        `${upstream}${path}`,
        { headers: { authorization: auth, 'accept-encoding': encoding } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const body = Buffer.concat(chunks);
            const cut = cuts.shift();
            const sent = cut ? cut(body) : body.length;
            served.push({ size: body.length, sent });
            const headers = [`HTTP/1.1 ${response.statusCode} OK`, 'connection: close'];
            for (const name of [
              'content-type',
              'content-encoding',
              'x-sync-lastseq',
              'x-sync-cursor',
            ]) {
              const value = response.headers[name];
              if (typeof value === 'string') headers.push(`${name}: ${value}`);
            }
            socket.end(
              Buffer.concat([
                Buffer.from(`${headers.join('\r\n')}\r\n\r\n`),
                body.subarray(0, sent),
              ]),
            );
          });
        },
      );
      upstreamRequest.on('error', () => socket.destroy());
      upstreamRequest.end();
    });
  });
  return {
    cuts,
    served,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The lengths of the prefixes of the bytes on the wire whose text is whole document lines
 * (the end line not among them), shortest first: cuts that leave no half line behind.
 */
function cleanCuts(body: Buffer, encoding: 'gzip' | 'identity'): number[] {
  const text = (bytes: Buffer) => {
    if (encoding === 'identity') return bytes.toString('utf8');
    try {
      return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      return '';
    }
  };
  const cuts: number[] = [];
  for (let length = 1; length < body.length; length++) {
    const prefix = text(body.subarray(0, length));
    if (prefix.endsWith('\n') && !prefix.includes('"type":"end"')) cuts.push(length);
  }
  return cuts;
}

describe.each(['identity', 'gzip'] as const)('a /sync/full stream cut short (%s)', (encoding) => {
  let server: TestServer;
  let proxy: ReturnType<typeof startCuttingProxy>;
  let proxyUrl: string;

  beforeAll(async () => {
    server = await startTestServer();
    proxy = startCuttingProxy(server.url, encoding);
    proxyUrl = await proxy.listen();
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  it('is detected and retried wherever it is cut, never taken as the whole export', async () => {
    const jwt = await server.tenantToken();
    const docs = 300;
    for (let start = 0; start < docs; start += 100) {
      const changes = Array.from({ length: 100 }, (_, i) =>
        upsert(`t${String(start + i).padStart(3, '0')}`, {
          n: start + i,
          text: `task ${start + i}`,
        }),
      );
      expect((await server.push(jwt, { client_id: 'seed', changes })).status).toBe(200);
    }
    // Cut where the text ends at a line's end: after the first documents, near the middle, and
    // as late as possible (the end line missing). Only the end line tells these from a whole
    // export.
    const pick = [
      (cuts: number[]) => cuts[0]!,
      (cuts: number[]) => cuts[Math.floor(cuts.length / 2)]!,
      (cuts: number[]) => cuts.at(-1)!,
    ];
    proxy.cuts.push(...pick.map((choose) => (body: Buffer) => choose(cleanCuts(body, encoding))));
    const store = createMemoryStore();
    const started = await startClient(server, jwt, {
      store,
      live: false,
      fetch: (input, init) => {
        const url = new URL(String(input));
        if (url.pathname !== '/sync/full') return fetch(input, init);
        return fetch(`${proxyUrl}${url.pathname}${url.search}`, init);
      },
    });
    try {
      await eventually(async () => {
        expect(proxy.served).toHaveLength(4);
        expect((await store.meta()).lastSeq).not.toBe('0');
      }, 30_000);
      expect(started.client.query('tasks')).toHaveLength(docs);
      expect(proxy.served.map((answer) => answer.sent < answer.size)).toEqual([
        true,
        true,
        true,
        false,
      ]);
      const cuts = started.errors.filter((error) => String(error).includes('was cut'));
      expect(cuts).toHaveLength(3);
    } finally {
      await started.client.close();
    }
  });
});
