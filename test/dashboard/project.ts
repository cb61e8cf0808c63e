import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../support/cli.js';

/**
 * A project with a unit that keeps running (`many`: millions of generated records in small
 * pages) and one that runs only when asked (`small`, with one record that always fails).
 */
export function dashboardProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-dashboard-'));
  writeFileSync(
    join(dir, 'keepsync.config.ts'),
    `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
export default defineConfig({
  engine: { pollIntervalMs: 200 },
  pipelines: [
    {
      name: 'many',
      source: memory.source({
        pageSize: 50,
        units: { all: { count: 50_000_000, record: (i) => ({ key: String(i), fields: { n: i } }) } },
      }),
      destination: memory.destination(),
    },
    {
      name: 'small',
      schedule: { everyMs: 3_600_000 },
      source: memory.source({
        units: { all: [{ key: 'ada', fields: { name: 'Ada' } }, { key: 'bad', fields: { big: 1n } }] },
      }),
      destination: memory.destination(),
    },
  ],
});
`,
  );
  return dir;
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Spawns `keepsync ...args` and resolves once it prints the dashboard's address. */
export function spawnDashboard(
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Spawned> {
  const child = spawn(process.execPath, cliArgs(...args), {
    cwd: dir,
    env: { ...process.env, ...env },
  });
  let stderr = '';
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /keepsync dashboard on (http:\S+)/.exec(stderr)?.[1];
      if (url) {
        resolve({
          child,
          url,
          stderr: () => stderr,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            await closed;
          },
        });
      }
    });
    child.once('close', (code) =>
      reject(new Error(`keepsync ${args.join(' ')} exited ${code} first: ${stderr}`)),
    );
  });
}
