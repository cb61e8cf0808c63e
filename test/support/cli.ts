import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** A `keepsync` process left running while a test watches it, with what it printed. */
export interface RunningKeepsync {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited, even if it exited before anyone asked. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Waits until `ready` holds, failing at once (with the process's stderr) if the process
   * exits first, or after `timeoutMs`: a long-running child that died at start-up otherwise
   * left the test waiting for a 'close' that had already been emitted.
   */
  until(ready: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and waits for the exit; fails if the process outlives `withinMs`. */
  stop(signal?: NodeJS.Signals, withinMs?: number): Promise<number | null>;
}

/** Spawns `keepsync ...args` in `cwd` and keeps its output. */
export function spawnKeepsync(cwd: string, ...args: string[]): RunningKeepsync {
  const child = spawn(process.execPath, cliArgs(...args), { cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  const exitedEarly = () =>
    new Error(
      `keepsync ${args.join(' ')} exited (${exit?.code ?? exit?.signal}) first; stderr:\n${stderr}`,
    );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    closed,
    async until(ready, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (exit) throw exitedEarly();
        if (await ready()) return;
        await sleep(100);
      }
      throw new Error(
        `keepsync ${args.join(' ')}: not ready after ${timeoutMs} ms; stderr:\n${stderr}`,
      );
    },
    async stop(signal = 'SIGTERM', withinMs = 30_000) {
      if (!exit) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), withinMs);
      const { code } = await closed.finally(() => clearTimeout(timer));
      if (exit?.signal === 'SIGKILL' && signal !== 'SIGKILL') {
        throw new Error(
          `keepsync ${args.join(' ')} outlived ${signal} by ${withinMs} ms; stderr:\n${stderr}`,
        );
      }
      return code;
    },
  };
}
