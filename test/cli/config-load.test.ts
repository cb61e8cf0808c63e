import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { keepsync } from '../support/cli.js';

const REPO = join(import.meta.dirname, '../..');

/** A project folder; with `installed`, its node_modules/keepsync is this repository. */
function project(configName: string, config: string, installed: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-config-load-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  if (installed) {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO, join(dir, 'node_modules', 'keepsync'), 'dir');
  }
  writeFileSync(join(dir, configName), config);
  return dir;
}

// While a config is evaluated, the stack shows who imports it: jiti, or keepsync's loader.
const moduleConfig = (check: string) => `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
${check}
export default defineConfig({
  pipelines: [{ name: 'p', source: memory.source({ units: { u: [] } }), destination: memory.destination() }],
});
`;

/**
 * Loading jiti costs ~300 ms of CPU at every command; a JavaScript config whose `keepsync`
 * is this very install needs none of it.
 */
describe('loading keepsync.config.mjs', () => {
  it('imports a JavaScript config with Node itself when its keepsync is this install', async () => {
    const dir = project(
      'keepsync.config.mjs',
      moduleConfig(
        "if (new Error().stack.includes('/jiti/')) throw new Error('the config was loaded through jiti');",
      ),
      true,
    );
    const result = await keepsync(dir, 'status');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);

  it('still loads a JavaScript config whose keepsync does not resolve from its folder', async () => {
    const dir = project('keepsync.config.mjs', moduleConfig(''), false);
    const result = await keepsync(dir, 'status');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);

  it('names the line of a syntax error in a JavaScript config, without a stack trace', async () => {
    const dir = project(
      'keepsync.config.mjs',
      "import { defineConfig } from 'keepsync';\nexport default defineConfig({ pipelines: [ });\n",
      true,
    );
    const result = await keepsync(dir, 'status');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/keepsync\.config\.mjs line 2, column \d+: syntax error/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
