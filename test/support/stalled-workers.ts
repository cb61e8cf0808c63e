import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach } from 'vitest';

/**
 * Engine processes for the two-processes-one-store fencing tests: each prints READY once it
 * is mid-run (and may be SIGSTOPped there), then `RESULTS <json>` with its run results.
 */
export interface EngineWorker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly results: Promise<unknown[]>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** Kills the workers and removes the folders of the test that just ended. */
export function cleanUpWorkersAfterEach(): void {
  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

export function workerDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function startEngineWorker(
  script: string,
  args: readonly string[],
  name: string,
): EngineWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const ready = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('READY')) resolve();
    });
  });
  const results = new Promise<unknown[]>((resolve, reject) => {
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((each) => each.startsWith('RESULTS '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULTS '.length)));
      else reject(new Error(`worker ${name} exited ${code}: ${stdout}${stderr}`));
    });
  });
  return { child, ready, results };
}

export function querySqlite<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Waits until the lease of (pipeline, unit) in the store at `statePath` has run out. */
export async function untilLeaseExpired(
  statePath: string,
  pipeline: string,
  unit: string,
): Promise<void> {
  const [row] = querySqlite<{ expires: number }>(
    statePath,
    `SELECT lease_expires_ms AS expires FROM units WHERE pipeline = '${pipeline}' AND unit = '${unit}'`,
  );
  if (!row) throw new Error(`no unit ${pipeline}/${unit} in ${statePath}`);
  while (Date.now() <= row.expires + 200) await new Promise((resolve) => setTimeout(resolve, 50));
}
