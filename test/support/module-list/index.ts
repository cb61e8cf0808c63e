import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../cli.js';

export interface ModulesLoaded {
  readonly code: number;
  readonly stderr: string;
  /** The npm packages the process loaded, by name (`@scope/name` for scoped ones), sorted. */
  readonly packages: readonly string[];
  /** The Node built-ins its ES modules imported (`node:http`), sorted. */
  readonly builtins: readonly string[];
}

const PACKAGE = /node_modules\/((?:@[^/]+\/)?[^/]+)\//g;

/** Runs `keepsync ...args` in `cwd` and lists the npm packages it loaded. */
export function packagesLoadedBy(cwd: string, ...args: string[]): Promise<ModulesLoaded> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-module-list-'));
  const list = join(dir, 'modules.txt');
  const register = join(import.meta.dirname, 'register.mjs');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', register, ...cliArgs(...args)],
      { cwd, env: { ...process.env, KEEPSYNC_MODULE_LIST: list } },
      (error, _stdout, stderr) => {
        try {
          const packages = new Set<string>();
          const builtins = new Set<string>();
          for (const line of readFileSync(list, 'utf8').split('\n')) {
            if (line.startsWith('node:')) builtins.add(line);
            // The innermost node_modules names the package (a dependency's own dependencies).
            const names = [...line.matchAll(PACKAGE)].map((match) => match[1]!);
            const name = names.at(-1);
            if (name) packages.add(name);
          }
          resolve({
            code: error ? Number(error.code ?? 1) : 0,
            stderr,
            packages: [...packages].sort(),
            builtins: [...builtins].sort(),
          });
        } catch (readError) {
          reject(readError);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
}
