import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyResources } from '../../src/copy/index.js';
import { HalServer } from './hal-server.js';
import {
  captureStdout,
  collect,
  type Doc,
  fixture,
  snapshot,
  sortedMap,
  stdinOf,
  tempDir,
  writeDirectory,
  yamlStream,
} from './helpers.js';

const servers: HalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(docs: Doc[] = []): Promise<HalServer> {
  const started = await HalServer.start();
  started.seed(docs);
  servers.push(started);
  return started;
}

describe('copy round trips', () => {
  it('HTTP -> directory -> an empty HTTP server reproduces the same resources', async () => {
    const first = await server(fixture());
    const second = await server();
    const dir = join(tempDir(), 'snapshot');
    await copyResources({
      origins: [`${first.url}/api`],
      destination: dir,
      http: { follow: ['*'] },
    });
    const replay = await copyResources({ origins: [dir], destination: `${second.url}/api` });
    expect(replay.creates).toHaveLength(6);
    const asServedBy = (from: HalServer) =>
      JSON.parse(JSON.stringify(sortedMap(from.served())).replaceAll(from.url, 'http://host'));
    expect(asServedBy(second)).toEqual(asServedBy(first));

    second.log.length = 0;
    const again = await copyResources({
      origins: [dir],
      destination: `${second.url}/api`,
      http: { follow: ['*'] },
    });
    expect(again).toMatchObject({ unchanged: 6, creates: [], updates: [] });
    expect(second.requests('PUT')).toEqual([]);
  });

  it('directory -> YAML file -> directory is byte-stable, and a second pass touches nothing', async () => {
    const origin = await server(fixture());
    const root = tempDir();
    const first = join(root, 'first');
    const file = join(root, 'all.yaml');
    const second = join(root, 'second');
    await copyResources({
      origins: [`${origin.url}/api`],
      destination: first,
      http: { follow: ['*'] },
    });
    await copyResources({ origins: [first], destination: file });
    await copyResources({ origins: [file], destination: second });
    const texts = (dir: string) =>
      [...snapshot(dir)].map(([path, { text }]) => [path, text]).sort();
    expect(texts(second)).toEqual(texts(first));
    expect(readFileSync(file, 'utf8')).toMatch(
      /^---\n_links:\n {2}author:\n {4}href: \/api\/users\/3\n/,
    );

    const before = { dir: snapshot(second), file: statSync(file).mtimeMs };
    expect(await copyResources({ origins: [second], destination: file })).toMatchObject({
      unchanged: 6,
    });
    expect(await copyResources({ origins: [file], destination: second })).toMatchObject({
      unchanged: 6,
    });
    expect(statSync(file).mtimeMs).toBe(before.file);
    expect(snapshot(second)).toEqual(before.dir);
  });

  it('rewrites only the changed file, and with --rm removes files (and empty type folders) no origin has', async () => {
    const root = tempDir();
    const origin = join(root, 'in.yaml');
    const dir = join(root, 'out');
    writeFileSync(origin, yamlStream(fixture()));
    await copyResources({ origins: [origin], destination: dir });
    const before = snapshot(dir);

    const edited = fixture().filter((doc) => !doc._links.self.href.startsWith('/api/posts/'));
    edited[0]!.name = 'Renamed';
    writeFileSync(origin, yamlStream(edited));
    const plan = await copyResources({
      origins: [origin],
      destination: dir,
      remove: true,
      dryRun: true,
    });
    expect(plan).toMatchObject({
      updates: ['users/1'],
      unchanged: 2,
      deletes: ['posts/1', 'posts/2', 'posts/3'],
    });
    expect(snapshot(dir)).toEqual(before);

    const kept = await copyResources({ origins: [origin], destination: dir });
    expect(kept.deletes).toEqual([]);
    expect(existsSync(join(dir, 'posts/1.yaml'))).toBe(true);
    const after = snapshot(dir);
    expect(after.get('users/1.yaml')!.text).toMatch(/name: Renamed/);
    expect(after.get('users/2.yaml')).toEqual(before.get('users/2.yaml'));

    await copyResources({ origins: [origin], destination: dir, remove: true });
    expect([...snapshot(dir).keys()].sort()).toEqual([
      'users/1.yaml',
      'users/2.yaml',
      'users/3.yaml',
    ]);
    expect(existsSync(join(dir, 'posts'))).toBe(false);
  });

  it('writes JSON with --json: newline-delimited on stdout, files renamed to .json in a directory', async () => {
    const root = tempDir();
    const origin = join(root, 'in.yaml');
    writeFileSync(origin, yamlStream(fixture()));
    const stdout = captureStdout();
    await copyResources({
      origins: [origin],
      destination: '-',
      format: 'json',
      stdout: stdout.stream,
    });
    const lines = stdout.text().trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: 1, title: 'Post 1' });

    const dir = join(root, 'out');
    await copyResources({ origins: [origin], destination: dir });
    const switched = await copyResources({ origins: [origin], destination: dir, format: 'json' });
    expect(switched.updates).toHaveLength(6);
    expect([...snapshot(dir).keys()].every((path) => path.endsWith('.json'))).toBe(true);
    expect(sortedMap(await collect(dir))).toEqual(sortedMap(await collect(origin)));
  });
});

describe('bad input stops the copy with a clear error and nothing half-written', () => {
  async function destinationWithData(): Promise<{ dir: string; root: string }> {
    const root = tempDir();
    const dir = join(root, 'out');
    writeDirectory(join(root, 'seed'), fixture());
    await copyResources({ origins: [join(root, 'seed')], destination: dir });
    return { dir, root };
  }

  async function expectUntouched(origins: string[], pattern: RegExp, extra = {}): Promise<void> {
    const { dir } = await destinationWithData();
    const before = snapshot(dir);
    const copy = copyResources({ origins, destination: dir, remove: true, ...extra });
    await expect(copy).rejects.toThrow(pattern);
    await expect(copy).rejects.toMatchObject({ name: expect.stringMatching(/Error$/) });
    expect(snapshot(dir)).toEqual(before);
  }

  it('names the file and line of invalid YAML, even deep in a stream', async () => {
    const root = tempDir();
    const good = join(root, 'good.yaml');
    writeFileSync(good, yamlStream(fixture().slice(0, 2)));
    const bad = join(root, 'bad.yaml');
    const text = `${yamlStream(fixture().slice(2, 4))}---\nid: 7\nname: [unclosed\n`;
    writeFileSync(bad, text);
    const line = text.split('\n').indexOf('name: [unclosed') + 1;
    await expectUntouched([good, bad], new RegExp(`bad\\.yaml line ${line}: `));
  });

  it('names the file and line of invalid JSON, in a file or a directory', async () => {
    const root = tempDir();
    const file = join(root, 'bad.json');
    writeFileSync(file, '[\n  {"id": 1,\n   "name": "x",,\n  }\n]\n');
    await expectUntouched([file], /bad\.json line 3: /);

    const tree = join(root, 'tree', 'users');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, '1.json'), '{\n  "id": 1\n  "name": "no comma"\n}\n');
    await expectUntouched([join(root, 'tree')], /users\/1\.json line 3: /);

    const ndjson = fixture()
      .slice(0, 2)
      .map((doc) => JSON.stringify(doc))
      .concat('{"id": 3, "name": }')
      .join('\n');
    await expectUntouched(['-'], /^stdin line 3: /, { stdin: stdinOf(ndjson) });
  });

  it('names a resource without an id, or without what its type comes from', async () => {
    const root = tempDir();
    const noId = join(root, 'no-id.yaml');
    const text = `${yamlStream(fixture().slice(0, 1))}---\nname: nobody\n_links:\n  self:\n    href: /api/users/8\n`;
    writeFileSync(noId, text);
    const line = text.split('\n').indexOf('name: nobody') + 1;
    await expectUntouched(
      [noId],
      new RegExp(`no-id\\.yaml line ${line}: a resource needs an \`id\``),
    );

    const noSelf = join(root, 'no-self.yaml');
    writeFileSync(noSelf, '---\nid: 4\nname: orphan\n');
    await expectUntouched([noSelf], /no-self\.yaml line 2: resource 4 has no `_links.self.href`/);

    const noType = join(root, 'simple.yaml');
    writeFileSync(noType, '---\nid: 4\nname: orphan\n');
    await expectUntouched([noType], /simple\.yaml line 2: resource 4 needs a `type`/, {
      schema: 'simple',
    });
  });

  it('stops on a missing origin before anything is written', async () => {
    const origin = await server();
    await expectUntouched([`${origin.url}/api/users/5`], /GET .*\/api\/users\/5 answered 404/);
    await expectUntouched(
      [join(tempDir(), 'nowhere')],
      /origin directory .*nowhere does not exist/,
    );
  });

  it('stops on a dependency cycle before a directory resource reaches the server', async () => {
    const { dir } = await destinationWithData();
    const docs = fixture();
    docs.find((doc) => doc._links.self.href === '/api/users/1')!._links.pinned = {
      href: '/api/posts/2',
    };
    const cyclic = join(tempDir(), 'cyclic');
    writeDirectory(cyclic, docs);
    const target = await server();
    await expect(
      copyResources({ origins: [cyclic], destination: `${target.url}/api` }),
    ).rejects.toThrow(/users\/1 -> posts\/2 -> users\/1|posts\/2 -> users\/1 -> posts\/2/);
    expect(target.requests('PUT')).toEqual([]);
    // A snapshot in git may hold a cycle: a directory is written in any order.
    const snapshotCopy = await copyResources({ origins: [cyclic], destination: dir });
    expect(snapshotCopy.updates).toEqual(['users/1']);
  });

  it('refuses a directory destination holding an unreadable file, naming it', async () => {
    const { dir, root } = await destinationWithData();
    writeFileSync(join(dir, 'users', '9.yaml'), 'id: [\n');
    const before = snapshot(dir);
    writeDirectory(join(root, 'other'), fixture().slice(0, 1));
    await expect(
      copyResources({ origins: [join(root, 'other')], destination: dir }),
    ).rejects.toThrow(/users\/9\.yaml line 1: /);
    expect(snapshot(dir)).toEqual(before);
  });

  it('reads a HAL page piped on stdin, and refuses to copy a directory into itself', async () => {
    const origin = await server(fixture());
    // The first page of a listing, as `curl` would pipe it: its items are the resources.
    const page = await (await fetch(`${origin.url}/api/users`)).text();
    const dir = join(tempDir(), 'out');
    const piped = await copyResources({ origins: ['-'], destination: dir, stdin: stdinOf(page) });
    expect(piped.creates).toEqual(['users/1', 'users/2']);
    await expect(copyResources({ origins: [dir], destination: dir })).rejects.toThrow(
      /origin and the destination are the same/,
    );
    await expect(
      copyResources({ origins: [join(dir, 'users')], destination: dir, remove: true }),
    ).rejects.toThrow(/lies inside the destination/);
  });
});
