import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keepsync, spawnKeepsync } from '../support/cli.js';

function project(config?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-operate-'));
  if (config !== undefined) writeFileSync(join(dir, 'keepsync.config.ts'), config);
  return dir;
}

const config = (name: string, records = `[{ key: 'c1', fields: { name: 'Ada' } }]`) => `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';
export default defineConfig({
  pipelines: [{
    name: '${name}',
    source: memory.source({ units: { all: ${records} } }),
    destination: files.destination({ dir: 'out' }),
  }],
});
`;

interface StatusRow {
  readonly cursor: unknown;
  readonly running?: { readonly stats: { readonly read: number } };
}

/** `status --json`, failing with its stderr when it does not answer (a store busy too long). */
async function statusJson(dir: string): Promise<StatusRow[]> {
  const result = await keepsync(dir, 'status', '--json');
  if (result.code !== 0) throw new Error(`status --json exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe('operating keepsync', () => {
  it('`init` adds .keepsync/ to .gitignore once, keeping what was there', async () => {
    const dir = project();
    writeFileSync(join(dir, '.gitignore'), 'node_modules');
    expect((await keepsync(dir, 'init')).stdout).toMatch(/Added \.keepsync\/ .* to .*\.gitignore/);
    await keepsync(dir, 'init', '--force');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules\n.keepsync/\n');
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'),
    );
    const result = await keepsync(project(), '--version');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('`forget` drops the state of a renamed pipeline and refuses one still configured', async () => {
    const dir = project(config('people'));
    expect((await keepsync(dir, 'run', '--once')).code).toBe(0);
    writeFileSync(join(dir, 'keepsync.config.ts'), config('contacts'));
    const still = await keepsync(dir, 'forget', 'contacts');
    expect(still.code).toBe(2);
    expect(still.stderr).toMatch(/contacts is still in the config/);
    const forgot = await keepsync(dir, 'forget', 'people');
    expect(forgot.stdout).toMatch(/Forgot people: 1 unit\(s\)/);
    expect(forgot.code).toBe(0);
    const status = JSON.parse((await keepsync(dir, 'status', '--json')).stdout);
    expect(status.map((row: { pipeline: string }) => row.pipeline)).toEqual(['contacts']);
    expect((await keepsync(dir, 'forget', 'people')).stderr).toMatch(
      /The store has nothing for people \(it has: contacts\)/,
    );
  });

  it('`runs` lists the run history, newest first, and --json for scripts', async () => {
    const dir = project(config('contacts'));
    await keepsync(dir, 'run', '--once');
    await keepsync(dir, 'run', '--once');
    const table = await keepsync(dir, 'runs', 'contacts');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /│ 2 .*contacts.*succeeded.*1 unchanged[\s\S]*│ 1 .*contacts.*1 created/,
    );
    const json = JSON.parse((await keepsync(dir, 'runs', '--json', '--limit', '1')).stdout);
    expect(json).toMatchObject([{ id: 2, pipeline: 'contacts', stats: { unchanged: 1 } }]);
    expect((await keepsync(dir, 'runs', 'nope')).code).toBe(2);
  });

  it('`status` says in words what the last run wrote and shortens long errors', async () => {
    const long = 'x'.repeat(300);
    const dir = project(
      config(
        'contacts',
        `[{ key: 'c1', fields: { name: 'Ada' } }, { key: 'c2', fields: { bad: 1n } }]`,
      ),
    );
    await keepsync(dir, 'run', '--once');
    const db = new Database(join(dir, '.keepsync/keepsync.db'));
    db.prepare('UPDATE runs SET error = ?').run(`boom ${long}`);
    db.close();
    const table = await keepsync(dir, 'status');
    expect(table.stdout).toMatch(/1 created, 1 failed/);
    expect(table.stdout).not.toContain(long);
    expect(table.stdout).toMatch(/boom x+…/);
    expect(table.stdout).toMatch(/Errors are shortened/);
    const json = JSON.parse((await keepsync(dir, 'status', '--json')).stdout);
    expect(json[0]).toMatchObject({
      cursor: null,
      state: 'scheduled',
      lastRun: { error: `boom ${long}` },
    });
  });

  it('`status` shows a running unit with its holder, and a stale lease as stale', async () => {
    const slow = `{ count: 1_000_000, record: (i) => ({ key: String(i), fields: { n: i } }) }`;
    const dir = project(config('many', slow));
    const run = spawnKeepsync(dir, 'run', '--once');
    try {
      await run.until(
        async () => ((await statusJson(dir))[0]?.running?.stats.read ?? 0) > 0,
        100_000,
      );
      const table = await keepsync(dir, 'status');
      expect(table.stdout).toMatch(/running on \S+:\d+:\S+ since \S+ \S+ \([\d.]+ (ms|s|min)/);
      const [unit] = await statusJson(dir);
      expect(unit?.cursor).toBeGreaterThan(0);
    } finally {
      await run.stop();
    }
    const db = new Database(join(dir, '.keepsync/keepsync.db'));
    db.prepare('UPDATE units SET lease_owner = ?, lease_expires_ms = ?').run(
      'gone-host:9:dead',
      1000,
    );
    db.close();
    const stale = await keepsync(dir, 'status');
    expect(stale.stdout).toMatch(/stale lease: gone-host:9:dead/);
  }, 150_000);

  it('`serve --no-auth` warns that every request is accepted', async () => {
    const serve = spawnKeepsync(project(), 'serve', '--no-auth', '--port', '0', '--db', ':memory:');
    try {
      await serve.until(() => /warning: --no-auth accepts every request/.test(serve.stderr()));
    } finally {
      await serve.stop();
    }
  });
});
