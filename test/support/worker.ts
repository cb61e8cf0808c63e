import { spawn } from 'node:child_process';

export interface WorkerRun {
  /** Killed before it printed DONE, so the kill really landed mid-run. */
  readonly killed: boolean;
  readonly stdout: string;
}

/**
 * Runs a TypeScript worker in a child process. With `killAfterMs`, the worker is SIGKILLed
 * that long after it prints READY (or, with `killOn`, after the given number of `marker`
 * lines: a point in the work rather than in time, so a fast machine cannot finish first).
 * A worker that fails on its own rejects with its output.
 */
export function runWorker(
  script: string,
  args: readonly string[],
  killAfterMs: number | null,
  killOn: { readonly marker: string; readonly occurrences: number } = {
    marker: 'READY',
    occurrences: 1,
  },
): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    let seen = 0;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.on('data', (chunk: Buffer) => {
      const before = seen;
      stdout += chunk;
      seen = stdout.split(killOn.marker).length - 1;
      if (killAfterMs !== null && before < killOn.occurrences && seen >= killOn.occurrences) {
        setTimeout(() => {
          killed = child.kill('SIGKILL');
        }, killAfterMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!killed && code !== 0) reject(new Error(`worker failed (${code}): ${stdout}${stderr}`));
      else resolve({ killed: killed && !stdout.includes('DONE'), stdout });
    });
  });
}
