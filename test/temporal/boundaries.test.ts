import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../../src');
const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms;

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)].map((match) => match[1]!);
}

/** Packages reached from an entry through static imports. */
function packagesReached(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of imports(file)) {
      if (specifier.startsWith('.'))
        queue.push(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
      else packages.add(specifier);
    }
  }
  return packages;
}

describe('the Temporal engine boundaries', () => {
  it('keeps the Temporal SDK out of the root entry and the CLI start-up', () => {
    for (const entry of ['index.ts', 'cli/main.ts']) {
      const temporal = [...packagesReached(join(src, entry))].filter((name) =>
        name.startsWith('@temporalio/'),
      );
      expect({ entry, temporal }).toEqual({ entry, temporal: [] });
    }
  });

  it('gives the workflow sandbox only @temporalio/workflow and the dependency-free protocols', () => {
    expect(imports(join(src, 'temporal/workflows.ts')).sort()).toEqual([
      './oauth-workflow.js',
      './protocol.js',
      '@temporalio/workflow',
    ]);
    expect(imports(join(src, 'temporal/oauth-workflow.ts')).sort()).toEqual([
      './oauth-protocol.js',
      './protocol.js',
      '@temporalio/workflow',
    ]);
    expect(imports(join(src, 'temporal/protocol.ts'))).toEqual([]);
    expect(imports(join(src, 'temporal/oauth-protocol.ts'))).toEqual([]);
  });
});
