import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepsync } from '../support/cli.js';

const config = `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';

export default defineConfig({
  pipelines: [{
    name: 'contacts',
    source: memory.source({ units: { all: [{ key: 'c1', fields: { name: 'Ada' } }] } }),
    destination: files.destination({ dir: 'out' }),
    schedule: { everyMs: 1000 },
  }],
});
`;

describe('keepsync run --times N', () => {
  it('runs each unit N times on its schedule, prints every run, then exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-times-'));
    writeFileSync(join(dir, 'keepsync.config.ts'), config);
    const result = await keepsync(dir, 'run', '--times', '2', '--json');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(0);
    const runs = JSON.parse(result.stdout) as Array<{
      status: string;
      stats: { created: number; unchanged: number };
    }>;
    expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded']);
    expect(runs[0]!.stats.created).toBe(1);
    expect(runs[1]!.stats.unchanged).toBe(1);
  }, 60_000);

  it('refuses a count that is not a whole number, naming the flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-times-'));
    writeFileSync(join(dir, 'keepsync.config.ts'), config);
    const result = await keepsync(dir, 'run', '--times', 'two');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--times.*"two"/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
