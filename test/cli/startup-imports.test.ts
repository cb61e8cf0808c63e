import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { packagesLoadedBy } from '../support/module-list/index.js';

const REPO = join(import.meta.dirname, '../..');

/** A project whose node_modules/keepsync is this repository, with a JavaScript config. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-startup-imports-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules', 'keepsync'), 'dir');
  writeFileSync(
    join(dir, 'keepsync.config.mjs'),
    `import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
export default defineConfig({
  pipelines: [{ name: 'p', source: memory.source({ units: { u: [] } }), destination: memory.destination() }],
});
`,
  );
  return dir;
}

/**
 * Every package loaded at start-up costs every command its CPU (issue 15 goal 3: a profile of
 * `keepsync status` had yaml 196 ms, pino 190 ms, cli-table3 110 ms, ...), so a command loads
 * only what it uses.
 */
describe('what the CLI loads at start-up', () => {
  it('--help loads no package at all, not even commander: it prints the prebuilt text', async () => {
    const result = await packagesLoadedBy(project(), '--help');
    expect(result.code).toBe(0);
    expect(result.packages).toEqual([]);
    // The OAuth flow's HTTP server and node:crypto load when `auth` runs.
    expect(result.builtins.filter((name) => ['node:http', 'node:crypto'].includes(name))).toEqual(
      [],
    );
  }, 60_000);

  it('status --json loads the config, the store and the engine, not the logger, YAML, tables or progress bars', async () => {
    const result = await packagesLoadedBy(project(), 'status', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // better-sqlite3 opens the store and zod checks the config: status needs both.
    expect(result.packages).toContain('better-sqlite3');
    expect(result.packages).toContain('zod');
    const unused = ['yaml', 'pino', 'cli-table3', 'cli-progress'];
    expect(result.packages.filter((name) => unused.includes(name))).toEqual([]);
  }, 60_000);
});
