import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliArgs, keepsync } from '../support/cli.js';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-logs-'));
  writeFileSync(
    join(dir, 'keepsync.config.ts'),
    `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';
export default defineConfig({
  pipelines: [{
    name: 'contacts',
    source: memory.source({ units: { all: [
      { key: 'ada', fields: { name: 'Ada' } },
      { key: 'bad', fields: { big: 1n } },
    ] } }),
    destination: files.destination({ dir: 'out' }),
  }],
});
`,
  );
  return dir;
}

describe('keepsync logs', () => {
  it('tells what each run did, oldest first, with its dead letters; --json a line per event', async () => {
    const dir = project();
    await keepsync(dir, 'run', '--once');
    await keepsync(dir, 'run', '--once');
    const logs = await keepsync(dir, 'logs');
    expect(logs.code).toBe(0);
    const lines = logs.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\S+ \S+Z contacts\/all run 1 started \(schedule\)$/);
    expect(lines[1]).toMatch(
      /contacts\/all run 1 succeeded after [\d.]+ m?s: 2 read, 1 created, 0 updated, 0 unchanged, 0 deleted, 1 failed$/,
    );
    expect(lines[2]).toMatch(/^ {2}dead letter bad: record bad: field `big` is a bigint/);
    expect(lines[3]).toMatch(/contacts\/all run 2 started/);
    expect(lines[4]).toMatch(/run 2 succeeded .* 1 unchanged, 0 deleted, 1 failed$/);
    const json = (await keepsync(dir, 'logs', 'contacts', '--json', '--limit', '1')).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(json).toMatchObject([
      { event: 'run-started', run: { id: 2 } },
      { event: 'run-finished', run: { id: 2, status: 'succeeded' }, deadLetters: [{ key: 'bad' }] },
    ]);
    const unknown = await keepsync(dir, 'logs', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No pipeline named nope \(known: contacts\)/);
  });

  it('--follow prints runs of another process as they start and finish', async () => {
    const dir = project();
    await keepsync(dir, 'run', '--once');
    const child = spawn(process.execPath, cliArgs('logs', '--follow', '--limit', '0'), {
      cwd: dir,
    });
    let output = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      await expect
        .poll(() => stderr, { timeout: 30_000, interval: 100 })
        .toMatch(/Following new runs/);
      await keepsync(dir, 'run', '--once');
      await expect
        .poll(() => output, { timeout: 30_000, interval: 200 })
        .toMatch(/run 2 started[\s\S]*run 2 succeeded/);
      expect(output).not.toMatch(/run 1 /);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
  }, 60_000);
});
