import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliArgs, keepsync } from '../support/cli.js';
import { HalServer } from './hal-server.js';
import { tempDir } from './helpers.js';

const COUNT = 2000;

const servers: HalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Resources big enough (4 KB) that a half-written file could be seen. */
function items(version: string) {
  return Array.from({ length: COUNT }, (_, index) => ({
    id: index,
    version,
    body: `${version} `.repeat(1000),
    _links: { self: { href: `/api/items/${index}` } },
  }));
}

/** Every `.yaml` file below `dir/items` (temp files start with a dot and are left out). */
function snapshot(dir: string): Map<string, string> {
  const files = readdirSync(join(dir, 'items')).filter((name) => !name.startsWith('.'));
  return new Map(files.map((name) => [name, readFileSync(join(dir, 'items', name), 'utf8')]));
}

/** Starts a copy and SIGKILLs it as soon as one file holds the new version. */
function copyKilledMidway(url: string, cwd: string): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs('copy', '--quiet', url, 'data'), {
      cwd,
      stdio: 'ignore',
    });
    const watcher = watch(join(cwd, 'data', 'items'), (_event, name) => {
      if (name === null || name.startsWith('.')) return;
      let text = '';
      try {
        text = readFileSync(join(cwd, 'data', 'items', name), 'utf8');
      } catch {
        return;
      }
      if (text.includes('version: new')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      watcher.close();
      resolve(signal);
    });
  });
}

describe('keepsync copy to a directory, killed while writing', () => {
  it('leaves every file old or new whole, and a re-run completes the copy', async () => {
    const server = await HalServer.start({ pageSize: 500 });
    servers.push(server);
    const cwd = tempDir();
    const url = `${server.url}/api/items`;

    server.seed(items('old'));
    expect((await keepsync(cwd, 'copy', '--quiet', url, 'data')).code).toBe(0);
    const old = snapshot(join(cwd, 'data'));
    expect(old.size).toBe(COUNT);

    server.seed(items('new'));
    expect((await keepsync(cwd, 'copy', '--quiet', url, 'reference')).code).toBe(0);
    const fresh = snapshot(join(cwd, 'reference'));

    expect(await copyKilledMidway(url, cwd)).toBe('SIGKILL');
    const afterCrash = snapshot(join(cwd, 'data'));
    expect([...afterCrash.keys()].sort()).toEqual([...old.keys()].sort());
    const torn = [...afterCrash].filter(
      ([name, text]) => text !== old.get(name) && text !== fresh.get(name),
    );
    expect(torn.map(([name]) => name)).toEqual([]);
    const renewed = [...afterCrash].filter(([name, text]) => text === fresh.get(name)).length;
    expect(renewed).toBeGreaterThan(0);

    const rerun = await keepsync(cwd, 'copy', url, 'data');
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain(`${COUNT - renewed} updated, ${renewed} unchanged`);
    expect(snapshot(join(cwd, 'data'))).toEqual(fresh);
  }, 180_000);
});
