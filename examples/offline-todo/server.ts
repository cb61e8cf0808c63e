import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { build } from 'esbuild';
import { Hono } from 'hono';
import { SignJWT } from 'jose';
import { createSyncServer, openSqliteDocumentStore } from '../../src/server/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export interface TodoServerOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default 'offline-todo.db' in this folder */
  dbPath?: string;
  /** The demo's signing secret; a real app gets tokens from its own login. */
  secret?: string;
}

export interface TodoServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Bundles keepsync/client for the browser, the way an app's build would. */
export async function bundleClient(minify = true): Promise<string> {
  const result = await build({
    entryPoints: [join(here, '../../src/client/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify,
    write: false,
  });
  return result.outputFiles[0]!.text;
}

/** The sync server and the app's static files on one port. */
export async function startTodoServer(options: TodoServerOptions = {}): Promise<TodoServer> {
  const secret = options.secret ?? 'offline-todo-demo-secret-change-me';
  const store = openSqliteDocumentStore({ path: options.dbPath ?? join(here, 'offline-todo.db') });
  const sync = await createSyncServer({
    store,
    auth: { secret, scopeClaim: 'list' },
    collections: ['todos'],
  });
  const clientBundle = await bundleClient();
  const key = new TextEncoder().encode(secret);

  const app = new Hono();
  app.get('/', async (c) => c.html(await readFile(join(here, 'index.html'), 'utf8')));
  app.get('/app.js', async (c) =>
    c.body(await readFile(join(here, 'app.js'), 'utf8'), 200, {
      'content-type': 'text/javascript',
    }),
  );
  app.get('/keepsync-client.js', (c) =>
    c.body(clientBundle, 200, { 'content-type': 'text/javascript' }),
  );
  // Demo login: anyone may act as any user on the shared list. Replace with your own auth.
  app.get('/token', async (c) => {
    const user = (c.req.query('user') ?? 'demo').replace(/[^\w.-]/g, '').slice(0, 40) || 'demo';
    const token = await new SignJWT({ sub: user, list: 'shared' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
    return c.json({ token });
  });
  app.route('/', sync.app);

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.on('upgrade', sync.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await sync.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

async function main(): Promise<void> {
  const server = await startTodoServer({ port: Number(process.env.PORT ?? 8787) });
  process.stdout.write(`offline-todo: open ${server.url}/?user=alice in two browsers\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
