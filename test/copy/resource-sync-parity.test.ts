import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { copyResources } from '../../src/copy/index.js';
import { keepsync } from '../support/cli.js';
import { HalServer, type HalServerOptions } from './hal-server.js';
import { type Doc, fixture, tempDir, writeDirectory } from './helpers.js';

const servers: HalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(options: HalServerOptions = {}, docs: Doc[] = []): Promise<HalServer> {
  const started = await HalServer.start(options);
  started.seed(docs);
  servers.push(started);
  return started;
}

const OLD_HOST = 'https://old.example.com';

/** The fixture as resource-sync writes a snapshot: every href absolute on the old host. */
function writeSnapshot(dir: string): void {
  for (const doc of fixture()) {
    const links = Object.fromEntries(
      Object.entries(doc._links).map(([rel, link]) => [rel, { href: `${OLD_HOST}${link.href}` }]),
    );
    const [, , type, id] = doc._links.self.href.split('/');
    mkdirSync(join(dir, type!), { recursive: true });
    writeFileSync(join(dir, type!, `${id}.yaml`), stringify({ ...doc, _links: links }));
  }
}

describe('keepsync copy, what resource-sync users rely on', () => {
  it('--no-follow reads only the page given: no next pages, no links (resource-sync -n)', async () => {
    const origin = await server({ pageSize: 2 }, fixture());
    const cwd = tempDir();
    const result = await keepsync(
      cwd,
      'copy',
      `${origin.url}/api/users`,
      '-',
      '--json',
      '--no-follow',
    );
    expect(result.code).toBe(0);
    const ids = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).id);
    expect(ids).toEqual([1, 2]);
    expect(origin.requests('GET').map((request) => request.path)).toEqual(['/api/users']);

    const all = await keepsync(cwd, 'copy', `${origin.url}/api/users`, '-', '--json');
    expect(all.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('--page-size asks HTTP origins for a page size with X-Request-Limit', async () => {
    const origin = await server({}, fixture());
    const cwd = tempDir();
    const result = await keepsync(
      cwd,
      'copy',
      `${origin.url}/api/users`,
      'out',
      '--page-size',
      '50',
    );
    expect(result.code).toBe(0);
    const gets = origin.requests('GET');
    expect(gets.length).toBeGreaterThan(0);
    for (const request of gets) expect(request.headers['x-request-limit']).toBe('50');

    const bad = await keepsync(cwd, 'copy', `${origin.url}/api/users`, 'out', '--page-size', '0');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--page-size/);
  });

  it('--snapshot-host moves the links of a resource-sync snapshot onto the new host', async () => {
    const cwd = tempDir();
    writeSnapshot(join(cwd, 'snapshot'));
    const destination = await server();
    const summary = await copyResources({
      origins: [join(cwd, 'snapshot')],
      destination: `${destination.url}/api`,
      snapshotOrigin: OLD_HOST,
    });
    expect(summary.failed).toEqual([]);
    expect(summary.creates).toHaveLength(6);
    const stored = JSON.stringify([...destination.docs.values()]);
    expect(stored).not.toContain('old.example.com');
    expect(destination.docs.get('/api/posts/1')?._links?.author?.href).toBe('/api/users/3');
  });

  it('reads a resource-sync snapshot into a keepsync directory of the same data without rewriting a file', async () => {
    const cwd = tempDir();
    writeSnapshot(join(cwd, 'snapshot'));
    writeDirectory(join(cwd, 'mirror'), fixture());
    const summary = await copyResources({
      origins: [join(cwd, 'snapshot')],
      destination: join(cwd, 'mirror'),
      snapshotOrigin: OLD_HOST,
    });
    expect(summary).toMatchObject({ read: 6, unchanged: 6, creates: [], updates: [] });
  });

  it('refuses a snapshot host that is not an http(s) origin', async () => {
    const cwd = tempDir();
    writeSnapshot(join(cwd, 'snapshot'));
    await expect(
      copyResources({
        origins: [join(cwd, 'snapshot')],
        destination: join(cwd, 'out'),
        snapshotOrigin: 'old.example.com/api',
      }),
    ).rejects.toThrow(/snapshot host as http\(s\):\/\/host/);
  });

  it('--no-depend marks back-links as no dependency, so a HAL API with back-links copies without a cycle', async () => {
    const docs = fixture().map((doc) =>
      doc._links.self.href.startsWith('/api/users/')
        ? { ...doc, _links: { ...doc._links, latest: { href: '/api/posts/1' } } }
        : doc,
    );
    const cwd = tempDir();
    writeDirectory(join(cwd, 'data'), docs);
    const cyclic = await server({ backLinks: ['latest'] });
    const refused = await keepsync(cwd, 'copy', 'data', `${cyclic.url}/api`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/cycle/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(cyclic.requests('PUT')).toHaveLength(0);

    const destination = await server({ backLinks: ['latest'] });
    const result = await keepsync(
      cwd,
      'copy',
      'data',
      `${destination.url}/api`,
      '--no-depend',
      'latest',
    );
    expect(result.stderr).toMatch(/6 created/);
    expect(result.code).toBe(0);
    expect(destination.docs.size).toBe(6);
  });
});
