import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepsync } from '../support/cli.js';
import { freshDatabase } from '../support/postgres.js';
import { spawnServe } from './child.js';
import { tempSqlitePath, upsert } from './helpers.js';

/**
 * A TCP proxy in front of PostgreSQL that reads the frontend's messages as a pooler in
 * transaction mode would, and counts the Parse messages by whether they name a statement:
 * the only way to see from outside the server which way it sends its statements.
 */
function parseCountingProxy(target: URL) {
  const counts = { named: 0, unnamed: 0 };
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    let pending = Buffer.alloc(0);
    let startup = true;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        // The startup message has no type byte; every later one does.
        const head = startup ? 0 : 1;
        if (pending.length < head + 4) break;
        const length = pending.readInt32BE(head);
        if (pending.length < head + length) break;
        if (!startup && pending[0] === 0x50 /* 'P' */) {
          if (pending[5] === 0) counts.unnamed++;
          else counts.named++;
        }
        pending = pending.subarray(head + length);
        startup = false;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.end());
  });
  return {
    counts,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = new URL(target);
      url.hostname = '127.0.0.1';
      url.port = String((server.address() as { port: number }).port);
      return url.toString();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function configFile(server: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-serve-prepared-'));
  const path = join(dir, 'keepsync.config.ts');
  writeFileSync(
    path,
    `import { defineConfig } from 'keepsync';\nexport default defineConfig({ pipelines: [], server: ${server} });\n`,
  );
  return path;
}

async function pushAndPull(url: string): Promise<void> {
  const pushed = await fetch(`${url}/sync/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'c', changes: [upsert('a', { n: 1 })] }),
  });
  expect(pushed.status).toBe(200);
  const pulled = await fetch(`${url}/sync/pull?since=0`);
  expect(((await pulled.json()) as { changes: unknown[] }).changes).toHaveLength(1);
}

describe('keepsync serve on PostgreSQL: named prepared statements, or none for old poolers', () => {
  const database = freshDatabase('serveprepared');
  let proxied: ReturnType<typeof parseCountingProxy>;
  let url: string;

  beforeAll(async () => {
    proxied = parseCountingProxy(new URL(await database.url()));
    url = await proxied.listen();
  });
  afterAll(async () => {
    await proxied.close();
    await database.drop();
  });

  async function serveAndCount(args: string[]) {
    proxied.counts.named = 0;
    proxied.counts.unnamed = 0;
    const child = await spawnServe(['--no-auth', ...args]);
    try {
      await pushAndPull(child.url);
    } finally {
      child.process.kill('SIGTERM');
      await child.exited;
    }
    return { ...proxied.counts };
  }

  it('names its push and pull statements by default', async () => {
    const counts = await serveAndCount(['--postgres', url]);
    expect(counts.named).toBeGreaterThan(0);
  }, 60_000);

  it('sends only unnamed statements with --no-prepared-statements', async () => {
    const counts = await serveAndCount(['--postgres', url, '--no-prepared-statements']);
    expect(counts.unnamed).toBeGreaterThan(0);
    expect(counts.named).toBe(0);
  }, 60_000);

  it('sends only unnamed statements with `server.preparedStatements: false`', async () => {
    const config = configFile(`{ postgres: ${JSON.stringify(url)}, preparedStatements: false }`);
    const counts = await serveAndCount(['--config', config]);
    expect(counts.unnamed).toBeGreaterThan(0);
    expect(counts.named).toBe(0);
  }, 60_000);

  it('refuses the setting for a SQLite store, naming it', async () => {
    const flag = await keepsync(
      process.cwd(),
      'serve',
      '--no-auth',
      '--db',
      tempSqlitePath(),
      '--no-prepared-statements',
    );
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--no-prepared-statements applies to PostgreSQL only/);
    const config = configFile(`{ sqlite: 'sync.db', preparedStatements: false }`);
    const section = await keepsync(process.cwd(), '--config', config, 'serve', '--no-auth');
    expect(section.code).toBe(2);
    expect(section.stderr).toMatch(/preparedStatements.*applies to `postgres` only/);
    expect(section.stderr).not.toContain('    at ');
  }, 60_000);
});
