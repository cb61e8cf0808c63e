import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** Packs the package as npm would publish it and unpacks it into a scratch project. */
function installPackedCopy(): string {
  const project = mkdtempSync(join(tmpdir(), 'keepsync-pack-'));
  const output = execFileSync(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', project],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const [{ filename }] = JSON.parse(output) as [{ filename: string }];
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, 'keepsync'), { recursive: true });
  execFileSync('tar', [
    '-xzf',
    join(project, filename),
    '-C',
    join(modules, 'keepsync'),
    '--strip-components=1',
  ]);
  // The package's own dependencies come from this checkout, as an install would provide them.
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name === '.bin' || name === 'keepsync') continue;
    symlinkSync(join(root, 'node_modules', name), join(modules, name));
  }
  return project;
}

describe('the published package', () => {
  it('imports every subpath it exports from the packed tarball, and its bin runs', () => {
    const project = installPackedCopy();
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const subpaths = Object.keys(manifest.exports)
      .filter((path) => path !== './package.json')
      .map((path) => (path === '.' ? 'keepsync' : `keepsync/${path.slice(2)}`));
    const script = `for (const name of ${JSON.stringify(subpaths)}) { const m = await import(name); if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing'); } console.log('ok');`;
    const imported = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(imported.trim()).toBe('ok');
    const help = execFileSync(
      process.execPath,
      [join(project, 'node_modules/keepsync/dist/cli/main.js'), '--help'],
      {
        encoding: 'utf8',
      },
    );
    expect(help).toMatch(/Usage: keepsync/);
    expect(help).toMatch(/dead-letters/);
    // Packing, then importing every subpath in a fresh process: over 30 s on a loaded machine.
  }, 180_000);

  it('ships no tests, sources or local state', () => {
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    });
    const [{ files }] = JSON.parse(output) as [{ files: Array<{ path: string }> }];
    const paths = files.map((file) => file.path);
    expect(paths).toContain('dist/index.js');
    expect(
      paths.filter((path) => /^(test|src|bench|\.keepsync)\//.test(path) || path.endsWith('.db')),
    ).toEqual([]);
  });
});
