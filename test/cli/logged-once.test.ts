import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cliArgs, keepsync } from '../support/cli.js';

const MARKER = 'source exploded 7f3c';

/** A pipeline whose source fails every run, and a two-way task whose side does. */
function failingProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-logged-once-'));
  writeFileSync(
    join(dir, 'keepsync.config.ts'),
    `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
const inner = memory.source({ units: { all: [] } });
export default defineConfig({
  engine: { pollIntervalMs: 100 },
  pipelines: [{
    name: 'contacts',
    source: { ...inner, async *read() { throw new Error('${MARKER}'); } },
    destination: memory.destination(),
  }],
});
`,
  );
  return dir;
}

const count = (text: string) => text.split(MARKER).length - 1;

function failedRuns(dir: string): number {
  const db = new Database(join(dir, '.keepsync/keepsync.db'), { readonly: true });
  try {
    return (
      db.prepare("SELECT COUNT(*) AS n FROM runs WHERE status = 'failed'").get() as {
        n: number;
      }
    ).n;
  } finally {
    db.close();
  }
}

/** Runs the engine as a daemon until its first failed run is reported, then stops it. */
async function daemon(dir: string, ...args: string[]): Promise<string> {
  const child = spawn(process.execPath, cliArgs('run', ...args), { cwd: dir });
  let output = '';
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (count(output) > 0) resolve();
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('close', () => resolve());
  });
  child.kill('SIGTERM');
  await closed;
  return output;
}

describe('each failure is logged once', () => {
  it('`run --once` says a failed run once', async () => {
    const dir = failingProject();
    const result = await keepsync(dir, 'run', '--once');
    expect(result.code).toBe(1);
    expect({ lines: count(result.stdout + result.stderr), runs: failedRuns(dir) }).toEqual({
      lines: 1,
      runs: 1,
    });
  });

  it('`run --times 1` says it once though it prints a line per run and a table', async () => {
    const dir = failingProject();
    const result = await keepsync(dir, 'run', '--times', '1');
    expect(result.code).toBe(1);
    expect(count(result.stdout + result.stderr)).toBe(failedRuns(dir));
  });

  it('the engine as a daemon says each failed run once, on stderr or as a --json line', async () => {
    for (const args of [[], ['--json']]) {
      const dir = failingProject();
      const output = await daemon(dir, ...args);
      expect({ args, lines: count(output) }).toEqual({ args, lines: failedRuns(dir) });
    }
  }, 60_000);
});
