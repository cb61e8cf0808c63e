import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/**
 * The CLI tests run the built CLI (dist/), as users do. `npm test` builds first; a plain
 * `npx vitest` after editing src/ rebuilds here, so no test ever runs stale code.
 */
export default function buildWhenStale(): void {
  buildCheckoutWhenStale(ROOT);
}

/**
 * Builds the checkout at `root` (its own compiler and tsconfig.build.json) when its src/ is
 * newer than its dist/: the benches run another checkout's build beside this one's.
 */
export function buildCheckoutWhenStale(root: string): void {
  const builtMarker = join(root, 'dist/cli/main.js');
  if (existsSync(builtMarker) && newestMtime(join(root, 'src')) <= statSync(builtMarker).mtimeMs) {
    return;
  }
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
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
