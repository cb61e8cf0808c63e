import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as github from '../../../src/connectors/github/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import {
  type ConnectorTelemetry,
  definePipeline,
  REAUTHORIZE,
  runPipeline,
  type Source,
} from '../../../src/sync/index.js';
import { FakeGitHub } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const LIST = /^\/orgs\/acme\/repos$/;

function telemetry() {
  const seen = { waitedMs: 0, retries: 0 };
  const sink: ConnectorTelemetry = {
    retried: () => {
      seen.retries++;
    },
    waitedForRateLimit: (ms) => {
      seen.waitedMs += ms;
    },
  };
  return { seen, sink };
}

async function readAll(source: Source, unit: string, cursor: unknown = null) {
  const records: SyncRecord[] = [];
  let last: unknown = cursor;
  const { seen, sink } = telemetry();
  for await (const page of source.read(unit, { cursor: cursor as null, telemetry: sink })) {
    records.push(...page.records);
    last = page.cursor;
  }
  return { records, cursor: last, telemetry: seen };
}

describe('github source', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await new FakeGitHub().start();
  });
  afterEach(async () => {
    await fake.close();
  });

  const make = (options: Partial<github.GitHubSourceOptions> = {}) =>
    github.source({
      orgs: ['acme'],
      auth: { token: 'ghp_test' },
      baseUrl: fake.url,
      perPage: 100,
      ...options,
    });

  it('lists an org over several Link-header pages as records keyed on the repository id', async () => {
    fake.seedOrg('acme', 250);
    const { records } = await readAll(make({ mode: 'full' }), 'org:acme');
    expect(records).toHaveLength(250);
    expect(new Set(records.map((record) => record.key)).size).toBe(250);
    expect(fake.server.count({ path: LIST })).toBe(3);
    const repo = records.find((record) => record.key === '1003')!;
    expect(repo.fields).toMatchObject({
      name: 'repo-3',
      fullName: 'acme/repo-3',
      url: 'https://github.com/acme/repo-3',
      language: 'Python',
      stars: 111,
      topics: ['sync', 'tools'],
      archived: false,
      defaultBranch: 'main',
      license: null,
    });
    expect(repo.fields.pushedAt).toEqual(new Date('2026-01-01T00:03:00Z'));
    expect(repo.updatedAt).toEqual(new Date('2026-01-01T00:03:00Z'));
  });

  it('reads only what changed since the last pass, and two requests when nothing did', async () => {
    fake.seedOrg('acme', 250);
    const source = make();
    const first = await readAll(source, 'org:acme');
    expect(first.records).toHaveLength(250);

    fake.server.resetCounts();
    const idle = await readAll(source, 'org:acme', first.cursor);
    expect(idle.records).toHaveLength(0);
    // One listing by update time, one by push time.
    expect(fake.server.requests).toHaveLength(2);

    fake.touch(1010, { stargazers_count: 5000 }, new Date('2026-03-01T00:00:00Z'));
    fake.touch(1020, { description: 'changed' }, new Date('2026-03-01T00:00:00Z'));
    const changed = await readAll(source, 'org:acme', idle.cursor);
    expect(changed.records.map((record) => record.key).sort()).toEqual(['1010', '1020']);
    expect(changed.records.find((record) => record.key === '1010')!.fields.stars).toBe(5000);

    // A repo updated in the same second as the last mark is still read, exactly once.
    fake.touch(1030, { forks_count: 99 }, new Date('2026-03-01T00:00:00Z'));
    const tie = await readAll(source, 'org:acme', changed.cursor);
    expect(tie.records.map((record) => record.key)).toEqual(['1030']);
    expect((await readAll(source, 'org:acme', tie.cursor)).records).toHaveLength(0);
  });

  it('resumes an interrupted incremental pass at the page after the last committed one', async () => {
    fake.seedOrg('acme', 250);
    const source = make();
    const { sink } = telemetry();
    const pages = source.read('org:acme', { cursor: null, telemetry: sink });
    const firstPage = (await pages[Symbol.asyncIterator]().next()).value!;
    expect(firstPage.records).toHaveLength(100);
    fake.server.resetCounts();
    const rest = await readAll(source, 'org:acme', firstPage.cursor);
    // Pages 2 and 3, then a second listing of the window, since a resumed pass may have
    // missed a shift; what it reads again is unchanged, so it costs no writes.
    expect(fake.server.count({ path: LIST })).toBe(5);
    expect(new Set(rest.records.map((record) => record.key)).size).toBe(250);
    const keys = new Set([...firstPage.records, ...rest.records].map((record) => record.key));
    expect(keys.size).toBe(250);
  });

  it('waits out secondary rate limits (403 + Retry-After) and still reads every repo once', async () => {
    fake.seedOrg('acme', 500);
    fake.server.setRateLimit({ requestsPerSecond: 2, burst: 1 });
    const { records, telemetry: seen } = await readAll(make({ mode: 'full' }), 'org:acme');
    expect(records).toHaveLength(500);
    expect(new Set(records.map((record) => record.key)).size).toBe(500);
    const limited = fake.server.count({ path: LIST, status: 403 });
    expect(limited).toBeGreaterThan(0);
    expect(fake.server.count({ path: LIST, status: 200 })).toBe(5);
    expect(seen.waitedMs).toBeGreaterThanOrEqual(limited * 1000);
  });

  it('retries an injected server error and a hung request', async () => {
    fake.seedOrg('acme', 150);
    fake.server.inject({ kind: 'status', status: 502, path: LIST });
    fake.server.inject({ kind: 'timeout', path: LIST });
    const { records } = await readAll(make({ mode: 'full', timeoutMs: 300 }), 'org:acme');
    expect(records).toHaveLength(150);
    expect(fake.server.count({ path: LIST })).toBe(4);
  });

  it('pauses the pipeline with "re-authorize" when the token is refused (401)', async () => {
    fake.seedOrg('acme', 10);
    const store = memoryStore();
    const pipeline = definePipeline({
      name: 'gh',
      source: make({ auth: { token: 'ghp_revoked' } }),
      destination: memory.destination(),
    });
    const result = await runPipeline({ store, pipeline, unit: 'org:acme' });
    expect(result.status).toBe('paused');
    expect(result.pausedReason).toContain(REAUTHORIZE);
    expect(result.pausedReason).toContain('401');
    await store.close();
  });

  it('authenticates as a GitHub App installation with a signed JWT', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await fake.close();
    fake = await new FakeGitHub({
      tokens: [],
      app: {
        appId: 42,
        installationId: 7,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      },
    }).start();
    fake.seedOrg('acme', 30);
    const source = make({
      auth: {
        appId: 42,
        installationId: 7,
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    });
    const { records } = await readAll(source, 'org:acme');
    expect(records).toHaveLength(30);
    expect(fake.server.count({ method: 'POST', path: /access_tokens$/ })).toBe(1);
  });

  it('reads named repositories, READMEs, and fields an enrichment hook adds', async () => {
    fake.seedOrg('acme', 5);
    const source = github.source({
      repos: ['acme/repo-1', 'acme/repo-2'],
      auth: { token: 'ghp_test' },
      baseUrl: fake.url,
      readme: true,
      enrich: async ({ record, repo, octokit }) => {
        const release = await octokit!.rest.repos.getLatestRelease({
          owner: 'acme',
          repo: repo.name,
        });
        return { ...record, fields: { ...record.fields, latestRelease: release.data.tag_name } };
      },
    });
    expect(await source.units()).toEqual([{ id: 'repos' }]);
    const { records, cursor } = await readAll(source, 'repos');
    expect(records.map((record) => record.fields.latestRelease)).toEqual(['v1.0.0', 'v2.0.0']);
    expect(records[0]!.body).toContain('The README of repo 1.');
    expect(cursor).toBeNull();
  });

  it('names the missing package when an SDK is not installed', async () => {
    const { importPeer } = await import('../../../src/connectors/support/index.js');
    const missing = 'keepsync-no-such-sdk';
    await expect(
      importPeer(missing, 'github', () => import(/* @vite-ignore */ missing)),
    ).rejects.toMatchObject({
      code: 'DEPENDENCY_MISSING',
      message: expect.stringContaining(`npm install ${missing}`),
    });
  });
});
