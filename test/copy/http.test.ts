import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyResources, httpEndpoint } from '../../src/copy/index.js';
import { isKeepsyncError } from '../../src/model/index.js';
import { HalServer, type HalServerOptions } from './hal-server.js';
import { byKey, collect, type Doc, fixture, sortedMap, tempDir, yamlStream } from './helpers.js';

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

const fast = { retries: 6, minDelayMs: 10, maxDelayMs: 50 };

function users(count: number): Doc[] {
  return Array.from({ length: count }, (_, index) => ({
    id: index + 1,
    name: `User ${index + 1}`,
    _links: { self: { href: `/api/users/${index + 1}` } },
  }));
}

function keysOf(docs: Map<string, unknown>): string[] {
  return [...docs.keys()].sort();
}

describe('HTTP origins', () => {
  it('reads every page of a listing, whether it pages by next links, offset, page number or Link header', async () => {
    const origin = await server({ pageSize: 2 }, users(5));
    const expected = ['users/1', 'users/2', 'users/3', 'users/4', 'users/5'];
    for (const path of ['/api/users', '/offset/users', '/paged/users', '/linked/users']) {
      expect(keysOf(await collect(`${origin.url}${path}`))).toEqual(expected);
    }
    expect(origin.requests('GET').map((request) => request.path)).toContain(
      '/offset/users?offset=4&limit=2',
    );
  });

  it('follows only the chosen relations, up to the depth limit, fetching no URL twice', async () => {
    const origin = await server({}, fixture());
    const follow = (relations: string[], maxDepth = 3) =>
      collect(httpEndpoint(`${origin.url}/api`, { follow: relations, maxDepth }));

    expect(keysOf(await follow([]))).toEqual([]);
    expect(keysOf(await follow(['users']))).toEqual(['users/1', 'users/2', 'users/3']);
    expect(keysOf(await follow(['*'], 0))).toEqual([]);
    origin.log.length = 0;
    expect(keysOf(await follow(['*']))).toHaveLength(6);
    const paths = origin.requests('GET').map((request) => request.path);
    expect(paths.length).toBe(new Set(paths).size);
  });

  it('reports a broken link and copies the rest; a missing origin is an error naming it', async () => {
    const docs = fixture();
    docs[0]!._links.author = { href: '/api/users/99' };
    const origin = await server({}, docs);
    const warnings: string[] = [];
    const dir = join(tempDir(), 'out');
    const summary = await copyResources({
      origins: [`${origin.url}/api/posts`],
      destination: dir,
      http: { follow: ['author'] },
      onWarning: (message) => warnings.push(message),
    });
    expect(summary.read).toBe(5);
    expect(warnings.join('\n')).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/api\/users\/99 answered 404/,
    );

    const missing = copyResources({ origins: [`${origin.url}/api/users/42`], destination: dir });
    await expect(missing).rejects.toThrow(
      /GET http:\/\/127\.0\.0\.1:\d+\/api\/users\/42 answered 404/,
    );
    await expect(missing).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('sends the auth header, and stops with an auth error without it', async () => {
    const origin = await server({ authorization: 'Bearer s3cret' }, fixture());
    const dir = join(tempDir(), 'out');
    const summary = await copyResources({
      origins: [`${origin.url}/api/users`],
      destination: dir,
      http: { headers: { Authorization: 'Bearer s3cret' } },
    });
    expect(summary.creates).toHaveLength(3);
    const refused = await copyResources({
      origins: [`${origin.url}/api/users`],
      destination: join(tempDir(), 'other'),
    }).catch((error: unknown) => error);
    expect(isKeepsyncError(refused) && refused.code).toBe('AUTH_FAILED');
    expect((refused as Error).message).toMatch(/answered 401.*--header/);
  });

  it('keeps at most `concurrency` requests in flight, and uses them', async () => {
    const origin = await server({ delayMs: 20 }, users(8));
    const target = await server({ delayMs: 20 });
    await copyResources({
      origins: [`${origin.url}/api/users`],
      destination: `${target.url}/api`,
      http: { concurrency: 3, follow: ['*'] },
    });
    expect(target.requests('PUT')).toHaveLength(8);
    expect(target.maxInFlight).toBe(3);
  });
});

describe('HTTP destinations', () => {
  it('writes each resource after the resources it links to', async () => {
    const origin = await server({}, fixture());
    const target = await server();
    const summary = await copyResources({
      origins: [`${origin.url}/api/posts`, `${origin.url}/api/users`],
      destination: `${target.url}/api`,
    });
    expect(summary.failed).toEqual([]);
    const order = target.requests('PUT').map((request) => request.path);
    expect(order.slice(0, 3).every((path) => path.startsWith('/api/users/'))).toBe(true);
    expect(sortedMap(await collect(httpEndpoint(`${target.url}/api`, { follow: ['*'] })))).toEqual(
      sortedMap(byKey(fixture())),
    );
  });

  it('with --simple, PUTs uri-less resources under the destination URL, dependencies first', async () => {
    const path = join(tempDir(), 'simple.yaml');
    writeFileSync(
      path,
      [
        '---\nid: 1\ntype: posts\ntitle: Hi\nlinks:\n  - rel: author\n    href: /api/users/7\n',
        '---\nid: 7\ntype: users\nuri: /api/users/7\nname: Ada\n',
      ].join(''),
    );
    const target = await server();
    const summary = await copyResources({
      origins: [path],
      destination: `${target.url}/api`,
      schema: 'simple',
    });
    expect(summary.failed).toEqual([]);
    expect(target.requests('PUT').map((request) => request.path)).toEqual([
      '/api/users/7',
      '/api/posts/1',
    ]);
  });

  it('reports a dependency cycle naming its resources, and writes nothing', async () => {
    const docs = fixture();
    docs.find((doc) => doc._links.self.href === '/api/users/3')!._links.favourite = {
      href: '/api/posts/1',
    };
    const path = join(tempDir(), 'cyclic.yaml');
    writeFileSync(path, yamlStream(docs));
    const target = await server();
    const copy = copyResources({ origins: [path], destination: `${target.url}/api` });
    await expect(copy).rejects.toMatchObject({ code: 'DEPENDENCY_CYCLE' });
    await expect(copy).rejects.toThrow(
      /cycle, (posts\/1 -> users\/3 -> posts\/1|users\/3 -> posts\/1 -> users\/3)/,
    );
    expect(target.requests('PUT')).toEqual([]);
  });

  it('retries connection errors, 5xx and 429, waiting as long as Retry-After says', async () => {
    const target = await server();
    target.faults.push(
      { method: 'PUT', path: '/api/users/1', status: 503, times: 2 },
      { method: 'PUT', path: '/api/users/2', status: 429, retryAfter: '1' },
    );
    const path = join(tempDir(), 'users.yaml');
    writeFileSync(path, yamlStream(users(3)));
    const summary = await copyResources({
      origins: [path],
      destination: `${target.url}/api`,
      http: { retry: fast },
    });
    expect(summary.failed).toEqual([]);
    expect(target.docs.size).toBe(3);
    const attempts = target.requests('PUT').filter((request) => request.path === '/api/users/2');
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);

    // A refused connection: the server comes up on that port while the copy retries.
    const port = await freePort();
    const late = copyResources({
      origins: [path],
      destination: `http://127.0.0.1:${port}/api`,
      http: { retry: { retries: 8, minDelayMs: 100, maxDelayMs: 200 } },
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const revived = await HalServer.start({}, port);
    servers.push(revived);
    expect((await late).failed).toEqual([]);
    expect(revived.docs.size).toBe(3);
  });

  it('lists the resources the server refused, writes the rest, and holds back what links to them', async () => {
    const docs = fixture();
    docs.find((doc) => doc._links.self.href === '/api/users/2')!.reject = 'name is taken';
    const origin = await server({}, docs);
    const target = await server();
    const summary = await copyResources({
      origins: [`${origin.url}/api`],
      destination: `${target.url}/api`,
      http: { follow: ['*'] },
    });
    expect(summary.failed).toEqual([
      {
        key: 'users/2',
        error: expect.stringMatching(/PUT .*\/api\/users\/2 answered 422: .*name is taken/),
      },
      {
        key: 'posts/3',
        error: expect.stringMatching(/not written: it links to .*\/api\/users\/2, which failed/),
      },
    ]);
    expect([...target.docs.keys()].sort()).toEqual([
      '/api/posts/1',
      '/api/posts/2',
      '/api/users/1',
      '/api/users/3',
    ]);
  });

  it('sends nothing for unchanged resources, and only the changed one after an edit', async () => {
    const origin = await server({}, fixture());
    const target = await server();
    const run = () =>
      copyResources({
        origins: [`${origin.url}/api`],
        destination: `${target.url}/api`,
        http: { follow: ['*'] },
      });
    await run();
    target.log.length = 0;
    const again = await run();
    expect(again).toMatchObject({ unchanged: 6, creates: [], updates: [] });
    expect(target.requests('PUT')).toEqual([]);
    (origin.docs.get('/api/posts/2') as Doc).title = 'Edited';
    const edited = await run();
    expect(edited).toMatchObject({ unchanged: 5, updates: ['posts/2'] });
    expect(target.requests('PUT').map((request) => request.path)).toEqual(['/api/posts/2']);
  });

  it('with --rm deletes what the origins lack (dependents first); --dry-run only shows the plan', async () => {
    const extra: Doc[] = [
      { id: 9, name: 'Gone', _links: { self: { href: '/api/users/9' } } },
      {
        id: 9,
        title: 'Gone too',
        _links: { self: { href: '/api/posts/9' }, author: { href: '/api/users/9' } },
      },
    ];
    const edited = fixture();
    edited[0]!.title = 'Changed';
    const origin = await server({}, fixture().slice(1));
    const target = await server({}, [...edited, ...extra]);
    const options = {
      origins: [`${origin.url}/api`],
      destination: `${target.url}/api`,
      http: { follow: ['*'] },
      remove: true,
    };
    const plan = await copyResources({ ...options, dryRun: true });
    expect(plan).toMatchObject({
      dryRun: true,
      creates: [],
      updates: [],
      unchanged: 5,
      deletes: ['posts/1', 'posts/9', 'users/9'],
    });
    expect(target.log.filter((request) => request.method !== 'GET')).toEqual([]);

    const done = await copyResources(options);
    expect(done.failed).toEqual([]);
    expect([...target.docs.keys()].sort()).toEqual([...origin.docs.keys()].sort());
  });

  it('batches writes as PATCH {items} where the collection allows it, else PUTs each', async () => {
    const path = join(tempDir(), 'all.yaml');
    writeFileSync(path, yamlStream(fixture()));
    const batching = await server({ batch: true });
    await copyResources({
      origins: [path],
      destination: `${batching.url}/api`,
      http: { batchSize: 2 },
    });
    // Three of each type in batches of two: a PATCH of two, then a PUT of the third.
    expect(batching.requests('PATCH').map((request) => request.path)).toEqual([
      '/api/users',
      '/api/posts',
    ]);
    expect(batching.requests('PUT').map((request) => request.path)).toEqual([
      '/api/users/3',
      '/api/posts/3',
    ]);
    expect(batching.requests('OPTIONS')).toHaveLength(2);
    expect(batching.docs.size).toBe(6);

    const plain = await server();
    await copyResources({
      origins: [path],
      destination: `${plain.url}/api`,
      http: { batchSize: 2 },
    });
    expect(plain.requests('PATCH')).toEqual([]);
    expect(plain.requests('PUT')).toHaveLength(6);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
