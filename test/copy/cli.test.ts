import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Document, parseAllDocuments } from 'yaml';
import { keepsync } from '../support/cli.js';
import { HalServer, type HalServerOptions } from './hal-server.js';
import { type Doc, fixture, tempDir, writeDirectory, yamlStream } from './helpers.js';

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

const noStackTrace = /\n\s+at /;

describe('keepsync copy (CLI)', () => {
  it('copies an authenticated HTTP origin into a directory, with a summary on stderr', async () => {
    const origin = await server({ authorization: 'Bearer t0ken' }, fixture());
    const cwd = tempDir();
    const result = await keepsync(
      cwd,
      'copy',
      `${origin.url}/api`,
      'data',
      '--follow',
      '*',
      '--header',
      'Authorization: Bearer t0ken',
    );
    expect(result.stderr).toMatch(
      /copy: 6 read, 6 created, 0 updated, 0 unchanged, 0 deleted, 0 failed/,
    );
    expect(result.code).toBe(0);
    expect(readdirSync(join(cwd, 'data')).sort()).toEqual(['posts', 'users']);
    expect(readdirSync(join(cwd, 'data', 'users')).sort()).toEqual(['1.yaml', '2.yaml', '3.yaml']);

    const again = await keepsync(cwd, 'copy', `${origin.url}/api`, 'data', '--follow', '*');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^keepsync: GET .* answered 401.*--header/m);
    expect(again.stderr).not.toMatch(noStackTrace);
  });

  it('writes only the data to stdout when stdout is the destination', async () => {
    const cwd = tempDir();
    writeDirectory(join(cwd, 'data'), fixture());
    const yaml = await keepsync(cwd, 'copy', 'data', '-');
    expect(yaml.code).toBe(0);
    const documents = parseAllDocuments(yaml.stdout) as Document[];
    expect(documents.map((document) => document.toJS().id)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(yaml.stderr).toMatch(/copy: 6 read, 6 created/);

    const json = await keepsync(cwd, 'copy', 'data', '-', '--json');
    const lines = json.stdout.trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line)._links.self.href)).toEqual([
      '/api/posts/1',
      '/api/posts/2',
      '/api/posts/3',
      '/api/users/1',
      '/api/users/2',
      '/api/users/3',
    ]);
  });

  it('exits non-zero and lists the resources the destination refused', async () => {
    const cwd = tempDir();
    const docs = fixture();
    docs.find((doc) => doc._links.self.href === '/api/users/2')!.reject = 'name is taken';
    writeFileSync(join(cwd, 'all.yaml'), yamlStream(docs));
    const target = await server();
    const result = await keepsync(cwd, 'copy', 'all.yaml', `${target.url}/api`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^failed: users\/2: PUT .*\/api\/users\/2 answered 422: .*name is taken/m,
    );
    expect(result.stderr).toMatch(/^failed: posts\/3: not written: it links to/m);
    expect(result.stderr).toMatch(/4 created, .* 2 failed/);
    expect(target.docs.size).toBe(4);
  });

  it('waits out a 429 or 503 with Retry-After from origin and destination, saying so on stderr', async () => {
    const origin = await server({}, fixture());
    origin.faults.push({ method: 'GET', path: '/api', status: 429, retryAfter: '1' });
    const target = await server();
    target.faults.push({ method: 'PUT', path: '/api/users/2', status: 503, retryAfter: '1' });
    const result = await keepsync(
      tempDir(),
      'copy',
      `${origin.url}/api`,
      `${target.url}/api`,
      '--follow',
      '*',
    );
    // Before the fix the process exited at once with code 13 (unsettled top-level await).
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^waiting 1\.0 s \(Retry-After\), then retrying: GET .*\/api answered 429/m,
    );
    expect(result.stderr).toMatch(
      /^waiting 1\.0 s \(Retry-After\), then retrying: PUT .*\/api\/users\/2 answered 503/m,
    );
    expect(result.stderr).toMatch(
      /copy: 6 read, 6 created, 0 updated, 0 unchanged, 0 deleted, 0 failed/,
    );
    expect(target.docs.size).toBe(6);
  });

  it('explains bad input, naming the file and line, without a stack trace', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'bad.yaml'), '---\nid: 1\nname: [oops\n');
    const result = await keepsync(cwd, 'copy', 'bad.yaml', 'out');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^keepsync: bad\.yaml line 3: /m);
    expect(result.stderr).not.toMatch(noStackTrace);
    expect(readdirSync(cwd)).toEqual(['bad.yaml']);

    const usage = await keepsync(cwd, 'copy', 'bad.yaml', 'out', '--concurrency', '0');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(
      /Expected `--concurrency` to be a whole number of at least 1, got "0"/,
    );
  });

  it('prints the plan of --dry-run --rm on stdout and writes nothing', async () => {
    const origin = await server({}, fixture().slice(1));
    const target = await server({}, fixture());
    const cwd = tempDir();
    const result = await keepsync(
      cwd,
      'copy',
      `${origin.url}/api`,
      `${target.url}/api`,
      '--follow',
      'users,posts',
      '--rm',
      '--dry-run',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('delete posts/1\n');
    expect(result.stderr).toMatch(/dry run, nothing written.*5 unchanged, 1 to delete/);
    expect(target.log.filter((request) => request.method !== 'GET')).toEqual([]);
  });
});
