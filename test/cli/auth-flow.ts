import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../support/cli.js';

/** A new project folder whose keepsync.config.ts defines no pipelines. */
export function emptyProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(
    join(dir, 'keepsync.config.ts'),
    "import { defineConfig } from 'keepsync';\nexport default defineConfig({ pipelines: [] });\n",
  );
  return dir;
}

export interface AuthFlow {
  /** The consent URL `keepsync auth` printed for the person to open. */
  readonly consent: Promise<URL>;
  /** The command's exit code and output, once it has exited. */
  readonly exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `keepsync ...args` in `dir` and watches its output for a consent URL. */
export function startAuthFlow(
  dir: string,
  args: readonly string[],
  consentUrl: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): AuthFlow {
  const child = spawn(process.execPath, cliArgs(...args), { cwd: dir, env });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  const consent = new Promise<URL>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = consentUrl.exec(stdout);
      if (match) resolve(new URL(match[1]!));
    });
    child.on('exit', () => reject(new Error(`auth exited early: ${stdout} ${stderr}`)));
  });
  return { consent, exited };
}
