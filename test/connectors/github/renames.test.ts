import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as github from '../../../src/connectors/github/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import { definePipeline, runPipeline, type Source } from '../../../src/sync/index.js';
import { FakeGitHub } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

async function readAll(source: Source, unit: string): Promise<SyncRecord[]> {
  const records: SyncRecord[] = [];
  const telemetry = { retried() {}, waitedForRateLimit() {} };
  for await (const page of source.read(unit, { cursor: null, telemetry })) {
    records.push(...page.records);
  }
  return records;
}

describe('github source and renamed repositories', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await new FakeGitHub().start();
  });
  afterEach(async () => {
    await fake.close();
  });

  const named = (repos: string[], extra: Partial<github.GitHubSourceOptions> = {}) =>
    github.source({
      repos,
      auth: { token: 'ghp_test' },
      baseUrl: fake.url,
      readme: true,
      ...extra,
    });

  it('follows the 301 of a renamed or transferred repository and reads it under its new name, README included', async () => {
    const [first, second] = fake.seedOrg('acme', 2);
    fake.rename(first!.id, { name: 'renamed' });
    fake.rename(second!.id, { owner: 'acme-labs' });
    const records = await readAll(named([`acme/${first!.name}`, `acme/${second!.name}`]), 'repos');
    expect(records.map((record) => record.key)).toEqual([String(first!.id), String(second!.id)]);
    expect(records.map((record) => record.fields.fullName)).toEqual([
      'acme/renamed',
      `acme-labs/${second!.name}`,
    ]);
    expect(records.every((record) => typeof record.body === 'string')).toBe(true);
    expect(fake.server.count({ status: 301 })).toBeGreaterThan(0);
  });

  it('matches names without regard to case, as GitHub does: one record per repository', async () => {
    const [repo] = fake.seedOrg('acme', 1);
    const records = await readAll(
      named([`ACME/${repo!.name.toUpperCase()}`, `acme/${repo!.name}`]),
      'repos',
    );
    expect(records.map((record) => record.key)).toEqual([String(repo!.id)]);
  });
});

describe('github source and renamed organizations (GitHub redirects the repositories, not the login)', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await new FakeGitHub().start();
  });
  afterEach(async () => {
    await fake.close();
  });

  const source = (options: Partial<github.GitHubSourceOptions>) =>
    github.source({ auth: { token: 'ghp_test' }, baseUrl: fake.url, ...options });

  it('a `repos` entry under the old organization login follows the 301 to the new one', async () => {
    const [repo] = fake.seedOrg('acme', 1);
    fake.renameOrg('acme', 'acme-corp');
    const records = await readAll(source({ repos: [`acme/${repo!.name}`] }), 'repos');
    expect(records.map((record) => [record.key, record.fields.fullName])).toEqual([
      [String(repo!.id), `acme-corp/${repo!.name}`],
    ]);
  });

  it('an `orgs` unit naming the old login fails with what to change, for full and incremental reads', async () => {
    fake.seedOrg('acme', 3);
    fake.renameOrg('acme', 'acme-corp');
    for (const mode of ['full', 'incremental'] as const) {
      const read = readAll(source({ orgs: ['acme'], mode }), 'org:acme');
      await expect(read).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(read).rejects.toThrow(
        /GitHub organization acme was not found \(404\); nothing was read or deleted\. If it was renamed, put its new login in `orgs`/,
      );
    }
    const renamed = await readAll(source({ orgs: ['acme-corp'] }), 'org:acme-corp');
    expect(renamed).toHaveLength(3);
  });

  for (const mode of ['full', 'incremental'] as const) {
    it(`stops, writing and deleting nothing, when another organization claimed a renamed one's login (${mode})`, async () => {
      fake.seedOrg('acme', 5);
      const original = fake.orgId('acme')!;
      const store = memoryStore();
      const destination = memory.destination();
      const pipeline = definePipeline({
        name: 'gh',
        source: source({ orgs: ['acme'], mode, perPage: 2 }),
        destination,
        deletes: 'delete',
      });
      const run = () => runPipeline({ store, pipeline, unit: 'org:acme' });
      expect((await run()).stats.created).toBe(5);
      // A second pass: the organization's id is kept across complete passes, not only in one.
      expect((await run()).status).toBe('succeeded');

      fake.renameOrg('acme', 'acme-corp');
      fake.seedOrg('acme', 3, 9_000);
      // Newer than the last pass, so an incremental read would take it.
      fake.touch(9_000, { description: 'not ours' }, new Date('2026-06-01T00:00:00Z'));
      expect(fake.orgId('acme')).not.toBe(original);
      const claimed = await run();
      expect(claimed.status).toBe('failed');
      expect(claimed.errorCode).toBe('NOT_FOUND');
      expect(claimed.error).toContain(
        `GitHub organization login acme now belongs to another organization (id ${fake.orgId('acme')}, not ${original})`,
      );
      expect(claimed.error).toMatch(/Put the organization.s new login in `orgs`/);
      expect(claimed.stats).toMatchObject({ created: 0, updated: 0, deleted: 0 });
      expect([...destination.byKey().keys()].sort()).toEqual([
        '1000',
        '1001',
        '1002',
        '1003',
        '1004',
      ]);
      // Still stopped on the next schedule: the cursor kept the id.
      expect((await run()).errorCode).toBe('NOT_FOUND');
      expect(destination.byKey().size).toBe(5);
      await store.close();
    });
  }

  it('an organization without visible repositories is 200 [] (no records), not an error', async () => {
    fake.seedOrg('empty-org', 0);
    expect(await readAll(source({ orgs: ['empty-org'], mode: 'full' }), 'org:empty-org')).toEqual(
      [],
    );
  });
});
