import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../../src');
const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms;

function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(STATIC_IMPORT)].map((match) => match[1]!);
}

function toSource(from: string, specifier: string): string {
  return resolve(dirname(from), specifier).replace(/\.js$/, '.ts');
}

/** Every file the entry reaches through static imports, and the packages they import. */
function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) queue.push(toSource(file, specifier));
      else packages.add(specifier);
    }
  }
  return { files, packages };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));
}

describe('package boundaries', () => {
  it('keeps optional drivers out of the root entry: pg is loaded only when asked for', () => {
    const { packages } = graph(join(src, 'index.ts'));
    expect([...packages].filter((name) => name === 'pg' || name.startsWith('pg/'))).toEqual([]);
    expect(packages.has('better-sqlite3')).toBe(true);
  });

  it('keeps src/model free of Node built-ins, so browsers can use it', () => {
    for (const file of filesUnder(join(src, 'model'))) {
      const nodeImports = staticImports(file).filter(
        (name) => name.startsWith('node:') || !name.startsWith('.'),
      );
      expect({ file: relative(src, file), nodeImports }).toEqual({
        file: relative(src, file),
        nodeImports: [],
      });
    }
  });

  it('keeps src/client browser-safe: no Node built-ins, only idb and src/model', () => {
    const { files, packages } = graph(join(src, 'client', 'index.ts'));
    expect([...packages].sort()).toEqual(['idb']);
    const outside = [...files]
      .map((file) => relative(src, file))
      .filter((file) => !file.startsWith('client/') && !file.startsWith('model/'));
    expect(outside).toEqual([]);
    for (const file of filesUnder(join(src, 'client'))) {
      const nodeImports = staticImports(file).filter((name) => name.startsWith('node:'));
      expect({ file: relative(src, file), nodeImports }).toEqual({
        file: relative(src, file),
        nodeImports: [],
      });
    }
  });

  it('reaches into other folders only through their index.ts', () => {
    const offenders: string[] = [];
    for (const file of filesUnder(src)) {
      for (const specifier of staticImports(file)) {
        if (!specifier.startsWith('../')) continue;
        const target = toSource(file, specifier);
        const sameFolder = dirname(target) === dirname(file);
        if (!sameFolder && !target.endsWith('/index.ts'))
          offenders.push(`${relative(src, file)} -> ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
