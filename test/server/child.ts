import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { cliArgs } from '../support/cli.js';

export interface ServeChild {
  readonly process: ChildProcess;
  readonly url: string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

/** `keepsync serve` in a child process; resolves once it prints its URL. */
export function spawnServe(args: string[], env: Record<string, string> = {}): Promise<ServeChild> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs('serve', '--port', '0', ...args), {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, KEEPSYNC_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | string>((done) => {
      child.on('exit', (code, signal) => done(code ?? signal ?? -1));
    });
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve({ process: child, url: match[1]!, stderr: () => stderr, exited });
    });
    child.on('error', reject);
    void exited.then((code) =>
      reject(new Error(`keepsync serve exited (${code}) before listening: ${stderr}`)),
    );
  });
}
