import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The CLI's entry, run from source. */
export const CLI_MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
/** The tsx loader by URL: the commands run in temp folders, where `tsx` cannot be found by name. */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

/** `node --import tsx src/cli/main.ts ...args`, for spawn() and execFile(). */
export function cliArgs(...args: string[]): string[] {
  return ['--import', TSX_LOADER, CLI_MAIN, ...args];
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
