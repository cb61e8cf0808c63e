import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cliArgs, keepsync } from '../support/cli.js';

function project(config?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-cli-'));
  if (config !== undefined) writeFileSync(join(dir, 'keepsync.config.ts'), config);
  return dir;
}

const contactsConfig = (extra = '') => `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';

export default defineConfig({
  pipelines: [{
    name: 'contacts',
    source: memory.source({ units: { all: [
      { key: 'c1', fields: { name: 'Ada' } },
      { key: 'c2', fields: { name: 'Alan' } },
      ${extra}
    ] } }),
    destination: files.destination({ dir: 'out' }),
  }],
});
`;

describe('keepsync CLI', () => {
  it('init writes a config that `run --once` runs, and a second run writes nothing', async () => {
    const dir = project();
    expect((await keepsync(dir, 'init')).code).toBe(0);
    const first = await keepsync(dir, 'run', '--once', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)[0]).toMatchObject({
      pipeline: 'contacts',
      status: 'succeeded',
      stats: { created: 2 },
    });
    expect(readdirSync(join(dir, 'out/contacts')).length).toBe(2);
    const second = await keepsync(dir, 'run', '--once', '--json');
    expect(JSON.parse(second.stdout)[0].stats).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 2,
    });
    expect((await keepsync(dir, 'init')).stderr).toMatch(/already exists; pass --force/);
  });

  it('runs the demo that `npm start` runs: 5,000 rows into SQLite, then nothing to write', async () => {
    const dir = project();
    copyFileSync(
      join(import.meta.dirname, '../../examples/demo/keepsync.config.ts'),
      join(dir, 'keepsync.config.ts'),
    );
    const first = await keepsync(dir, 'run', '--once', '--json');
    expect(JSON.parse(first.stdout)[0]).toMatchObject({
      pipeline: 'repos',
      stats: { created: 5000 },
    });
    const db = new Database(join(dir, 'demo.db'), { readonly: true });
    const row = db.prepare('SELECT COUNT(*) AS n FROM repos').get() as { n: number };
    db.close();
    expect(row.n).toBe(5000);
    const second = await keepsync(dir, 'run', '--once', '--json');
    expect(JSON.parse(second.stdout)[0].stats).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 5000,
    });
  });

  it('prints a status table, and --json for scripts', async () => {
    const dir = project(contactsConfig());
    await keepsync(dir, 'run', '--once');
    const table = await keepsync(dir, 'status');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/contacts.*all.*scheduled.*succeeded/s);
    const json = JSON.parse((await keepsync(dir, 'status', '--json')).stdout);
    expect(json[0]).toMatchObject({
      pipeline: 'contacts',
      unit: 'all',
      paused: false,
      lastRun: { status: 'succeeded' },
    });
  });

  it('pauses, resumes and triggers units through the store', async () => {
    const dir = project(contactsConfig());
    await keepsync(dir, 'run', '--once');
    expect((await keepsync(dir, 'pause', 'contacts', '--reason', 'holiday')).code).toBe(0);
    const paused = JSON.parse((await keepsync(dir, 'status', '--json')).stdout);
    expect(paused[0]).toMatchObject({ paused: true, pausedReason: 'holiday' });
    const skipped = await keepsync(dir, 'run', '--once', '--json');
    expect(JSON.parse(skipped.stdout)).toMatchObject([{ status: 'skipped', reason: 'paused' }]);
    expect(skipped.code).toBe(3);
    await keepsync(dir, 'resume', 'contacts');
    await keepsync(dir, 'trigger', 'contacts', '--keys', 'c1,c2');
    const status = JSON.parse((await keepsync(dir, 'status', '--json')).stdout);
    expect(status[0]).toMatchObject({
      paused: false,
      syncRequested: true,
      requestedKeys: ['c1', 'c2'],
    });
  });

  it('explains a config with a syntax error, naming the file, without a stack trace', async () => {
    const dir = project('export default { pipelines: [ }');
    const result = await keepsync(dir, 'status');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/keepsync\.config\.ts line 1, column \d+: syntax error/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('explains a config of the wrong shape, naming the place', async () => {
    const dir = project(
      `export default { pipelines: [{ name: 'bad name!', source: {}, destination: {} }] };`,
    );
    const result = await keepsync(dir, 'status');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /pipelines\[0\]: Expected pipeline "bad name!" to have a name of letters/,
    );
  });

  it('names an unknown connector and lists the available ones', async () => {
    const dir = project(
      `import * as nope from 'keepsync/connectors/nope';\nexport default { pipelines: [nope.source()] };`,
    );
    const result = await keepsync(dir, 'status');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown connector `nope`; available: memory, files, sql/);
  });

  it('names the pipeline of a corrupt cursor, and `reset` recovers it without losing data', async () => {
    const dir = project(contactsConfig());
    await keepsync(dir, 'run', '--once');
    const db = new Database(join(dir, '.keepsync/keepsync.db'));
    db.prepare(
      "INSERT OR REPLACE INTO cursors (pipeline, unit, cursor, updated_ms) VALUES ('contacts', 'all', '{broken', 0)",
    ).run();
    db.close();
    const broken = await keepsync(dir, 'run', '--once');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /cursor of pipeline contacts unit all is corrupt .*keepsync reset/,
    );
    expect(readdirSync(join(dir, 'out')).length).toBe(2);
    expect((await keepsync(dir, 'reset', 'contacts')).code).toBe(0);
    const fixed = await keepsync(dir, 'run', '--once', '--json');
    expect(JSON.parse(fixed.stdout)[0].stats).toMatchObject({ unchanged: 2, created: 0 });
  });

  it('lists dead letters and retries them', async () => {
    const dir = project(contactsConfig(`{ key: 'c3', fields: { bad: 10n } },`));
    const run = await keepsync(dir, 'run', '--once');
    expect(run.code).toBe(4);
    const letters = JSON.parse((await keepsync(dir, 'dead-letters', 'list', '--json')).stdout);
    expect(letters).toMatchObject([{ pipeline: 'contacts', key: 'c3', attempts: 1 }]);
    expect(letters[0].error).toMatch(/record c3: field `bad` is a bigint/);
    const table = await keepsync(dir, 'dead-letters', 'list');
    expect(table.stdout).toMatch(/c3/);
  });

  it('exits 2 with the pipeline names when asked for an unknown pipeline', async () => {
    const dir = project(contactsConfig());
    const result = await keepsync(dir, 'pause', 'nope');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No pipeline named nope \(known: contacts\)/);
  });

  it('stops on SIGTERM after committing the page in flight, so nothing read is lost', async () => {
    const dir = project(`
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as sql from 'keepsync/connectors/sql';
export default defineConfig({
  pipelines: [{
    name: 'big',
    source: memory.source({ units: { all: { count: 5_000_000, record: (i) => ({ key: 'k' + i, fields: { i } }) } }, pageSize: 100 }),
    destination: sql.destination({ client: sql.sqliteClient('dest.db'), table: 'rows', createTable: true }),
  }],
});
`);
    const child = spawn(process.execPath, cliArgs('run'), {
      cwd: dir,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const state = join(dir, '.keepsync/keepsync.db');
    await waitUntil(() => {
      try {
        const db = new Database(state, { readonly: true, fileMustExist: true });
        try {
          return db.prepare('SELECT 1 FROM cursors').get() !== undefined;
        } finally {
          db.close();
        }
      } catch {
        return false;
      }
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const db = new Database(state, { readonly: true });
    const cursor = JSON.parse(
      (db.prepare('SELECT cursor FROM cursors').get() as { cursor: string }).cursor,
    );
    const run = db.prepare('SELECT status FROM runs ORDER BY id DESC').get() as { status: string };
    db.close();
    const dest = new Database(join(dir, 'dest.db'), { readonly: true });
    const written = (dest.prepare('SELECT COUNT(*) AS n FROM rows').get() as { n: number }).n;
    dest.close();
    expect(run.status).toBe('aborted');
    expect(cursor).toBe(written);
    expect(written).toBeLessThan(5_000_000);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
