import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const BUILT_MARKER = join(ROOT, 'dist/cli/main.js');

/**
 * The CLI tests run the built CLI (dist/), as users do. `npm test` builds first; a plain
 * `npx vitest` after editing src/ rebuilds here, so no test ever runs stale code.
 */
export default function buildWhenStale(): void {
  if (
    existsSync(BUILT_MARKER) &&
    newestMtime(join(ROOT, 'src')) <= statSync(BUILT_MARKER).mtimeMs
  ) {
    return;
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}
