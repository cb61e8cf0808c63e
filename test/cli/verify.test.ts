import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepsync } from '../support/cli.js';

const CONFIG = `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';
const people = [1, 2, 3, 4].map((n) => ({ key: 'p' + n, fields: { name: 'Person ' + n } }));
export default defineConfig({
  pipelines: [{
    name: 'people',
    source: memory.source({ units: { all: people } }),
    destination: files.destination({ dir: 'out' }),
  }],
});
`;

describe('keepsync verify', () => {
  it('reports hand edits and deletes (exit 8), repairs them with --repair, and status shows the last verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-verify-cli-'));
    try {
      writeFileSync(join(dir, 'keepsync.config.ts'), CONFIG);
      expect((await keepsync(dir, 'run', '--once')).code).toBe(0);
      const edited = join(dir, 'out', 'p2.yaml');
      writeFileSync(edited, readFileSync(edited, 'utf8').replace('Person 2', 'Someone else'));
      rmSync(join(dir, 'out', 'p3.yaml'));

      const found = await keepsync(dir, 'verify');
      expect(found.code).toBe(8);
      expect(found.stdout).toMatch(/people .*│ all .*│ succeeded .*│ 4 .*│ 1 .*│ 1 .*│ 0 .*│ 0/);
      expect(found.stderr).toMatch(/people\/all missing: p3/);
      expect(found.stderr).toMatch(/people\/all changed: p2/);
      expect(found.stderr).toMatch(/keepsync verify people --repair/);
      expect(found.stderr).not.toMatch(/ {4}at /);

      const repaired = await keepsync(dir, '--json', 'verify', '--repair');
      expect(repaired.code).toBe(0);
      const [result] = JSON.parse(repaired.stdout).results;
      expect(result).toMatchObject({
        pipeline: 'people',
        status: 'succeeded',
        drift: { missing: 1, changed: 1, extra: 0, repaired: 2 },
        keys: { missing: ['p3'], changed: ['p2'] },
      });
      expect(readFileSync(edited, 'utf8')).toMatch(/Person 2/);
      expect(readFileSync(join(dir, 'out', 'p3.yaml'), 'utf8')).toMatch(/Person 3/);

      const status = JSON.parse((await keepsync(dir, 'status', '--json')).stdout);
      expect(status[0].lastVerify.stats.drift).toEqual({
        missing: 1,
        changed: 1,
        extra: 0,
        repaired: 2,
      });
      expect((await keepsync(dir, 'status')).stdout).toMatch(
        /1 missing, 1 changed, 0 extra, 2 repaired/,
      );
      expect((await keepsync(dir, 'verify')).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Seven CLI spawns: a few seconds each on a loaded 2-core machine.
  }, 180_000);

  it('refuses, naming the pipeline, a destination that cannot list its objects (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-verify-cli-'));
    try {
      writeFileSync(
        join(dir, 'keepsync.config.ts'),
        CONFIG.replace(
          "files.destination({ dir: 'out' })",
          "{ name: 'blind', open: files.destination({ dir: 'out' }).open }",
        ),
      );
      const result = await keepsync(dir, 'verify');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Pipeline "people" cannot be verified: .*"blind" cannot list/);
      expect(result.stderr).not.toMatch(/ {4}at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
