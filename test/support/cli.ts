import { execFile } from 'node:child_process';
import { join } from 'node:path';

/**
 * The built CLI, as users run it. Running it from source through tsx transpiled the whole
 * import graph on every spawn (3-6 s a command on a loaded machine: the CLI tests timed out);
 * test/setup/build.ts rebuilds dist/ before the run when src/ is newer.
 */
export const CLI_MAIN = join(import.meta.dirname, '../../dist/cli/main.js');

/** `node dist/cli/main.js ...args`, for spawn() and execFile(). */
export function cliArgs(...args: string[]): string[] {
  return [CLI_MAIN, ...args];
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `keepsync ...args` in `cwd` and resolves with its exit code and output. */
export function keepsync(cwd: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, cliArgs(...args), { cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}
