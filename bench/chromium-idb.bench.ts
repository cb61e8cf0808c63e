import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { SignJWT } from 'jose';
import { type BrowserContext, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../test/support/chromium.js';
import { freePort, startSyncServer } from './support/sync-server.js';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const DOCS = Number(option('docs') ?? 100_000);
const RUNS = Number(option('runs') ?? 3);
const STORE = option('store') ?? 'indexeddb';
const PERSISTENT = args.includes('--persistent');
const PROFILE = option('profile');
const SECRET = 'bench-secret-0123456789abcdefghij';

/** The documents of bench/client.bench.ts, pushed 1,000 at a time. */
async function seed(url: string, jwt: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const changes = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      changes.push({
        collection: 'tasks',
        operation: 'upsert',
        doc_id: `task-${String(i).padStart(6, '0')}`,
        data: {
          title: `Task ${i}`,
          done: i % 3 === 0,
          priority: i % 5,
          tags: ['bench', `t${i % 10}`],
          note: 'x'.repeat(80),
        },
        parent_version: null,
      });
    }
    const response = await fetch(`${url}/sync/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'seed', changes }),
    });
    if (!response.ok) throw new Error(`seed failed: ${response.status} ${await response.text()}`);
  }
}

/** The page's script: load, then reopen; every store call's awaited time is summed. */
function pageScript(jwt: string, expectedDone: number): string {
  const open =
    STORE === 'memory' ? 'createMemoryStore()' : `await openIndexedDbStore({ name: 'bench' })`;
  return `(async () => {
    const { createSyncClient, openIndexedDbStore, createMemoryStore } = await import('/keepsync-client.js');
    const waited = {};
    const timed = (store) => new Proxy(store, { get(target, name) {
      const value = target[name];
      if (typeof value !== 'function') return value;
      return async (...args) => {
        const started = performance.now();
        try { return await value.apply(target, args); }
        finally { waited[name] = (waited[name] ?? 0) + performance.now() - started; }
      };
    } });
    const started = performance.now();
    const store = ${open};
    const client = await createSyncClient({ url: location.origin, collections: ['tasks'], store: timed(store), getToken: () => ${JSON.stringify(jwt)}, live: false });
    await client.start();
    while (client.query('tasks', (row) => row.data.done).length !== ${expectedDone}) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const loadMs = performance.now() - started;
    await client.close();
    const loadWaits = { ...waited };
    for (const name of Object.keys(waited)) delete waited[name];
    let reopenMs = null;
    let docs = null;
    if (${STORE !== 'memory'}) {
      const reopened = performance.now();
      const again = await createSyncClient({ url: location.origin, collections: ['tasks'], store: timed(await openIndexedDbStore({ name: 'bench' })), live: false });
      docs = again.query('tasks').length;
      reopenMs = performance.now() - reopened;
      await again.close();
    }
    const round = (waits) => Object.fromEntries(Object.entries(waits).map(([name, ms]) => [name, Math.round(ms)]));
    return { docs, loadMs: Math.round(loadMs), reopenMs: reopenMs === null ? null : Math.round(reopenMs), loadStoreMs: round(loadWaits), reopenStoreMs: round(waited) };
  })()`;
}

async function runOnce(url: string, jwt: string, bundle: string, profile?: string) {
  const profileDir = PERSISTENT ? mkdtempSync(join(tmpdir(), 'keepsync-chromium-')) : null;
  const browser = profileDir
    ? null
    : await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  const context: BrowserContext = profileDir
    ? await chromium.launchPersistentContext(profileDir, {
        executablePath: chromiumPath,
        args: CHROMIUM_ARGS,
      })
    : await browser!.newContext();
  try {
    const page = await context.newPage();
    // Same origin as the sync server, so no CORS is involved.
    await page.route(`${url}/bench`, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }),
    );
    await page.route(`${url}/keepsync-client.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: bundle }),
    );
    await page.goto(`${url}/bench`);
    const cdp = profile ? await context.newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const result = await page.evaluate(pageScript(jwt, Math.ceil(DOCS / 3)));
    if (cdp && profile) {
      const { profile: written } = await cdp.send('Profiler.stop');
      writeFileSync(profile, JSON.stringify(written));
    }
    return result;
  } finally {
    await context.close();
    await browser?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!chromiumPath) throw new Error('no Chromium: install it or set CHROMIUM_PATH');
  const bundled = await build({
    entryPoints: [join(root, 'src/client/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
  });
  const bundle = bundled.outputFiles[0]!.text;
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-chromium-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startSyncServer(root, join(dir, 'sync.db'), port, SECRET);
  try {
    const jwt = await new SignJWT({ sub: 'bench', tenant: 'bootstrap' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(SECRET));
    await seed(url, jwt, DOCS);
    console.log(JSON.stringify({ docs: DOCS, store: STORE, persistent: PERSISTENT, runs: RUNS }));
    for (let run = 0; run < RUNS; run++) {
      const before = loadavg()[0]!.toFixed(1);
      const at = new Date().toISOString().slice(11, 19);
      const result = (await runOnce(url, jwt, bundle, run === 0 ? PROFILE : undefined)) as object;
      console.log(JSON.stringify({ run: run + 1, at, load1: before, ...result }));
    }
  } finally {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
