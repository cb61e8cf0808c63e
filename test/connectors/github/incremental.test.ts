import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as github from '../../../src/connectors/github/index.js';
import type { Cursor, SyncRecord } from '../../../src/model/index.js';
import type { Source } from '../../../src/sync/index.js';
import { FakeGitHub } from '../../fakes/index.js';

const LIST = /^\/orgs\/acme\/repos$/;
const telemetry = { retried() {}, waitedForRateLimit() {} };

async function readAll(source: Source, cursor: Cursor) {
  const records: SyncRecord[] = [];
  let last = cursor;
  for await (const page of source.read('org:acme', { cursor, telemetry })) {
    records.push(...page.records);
    last = page.cursor;
  }
  return { records, cursor: last };
}

describe('github incremental reads against a listing that behaves as GitHub documents', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await new FakeGitHub().start();
    fake.seedOrg('acme', 250);
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

  it('reads a changed repository a deletion shifted past a page edge, in the same pass', async () => {
    const source = make();
    const first = await readAll(source, null);
    // 150 repositories change: the changed window spans two pages, newest first.
    const changed = [...fake.repos.values()].slice(0, 150);
    changed.forEach((repo, index) => {
      fake.touch(repo.id, { description: 'changed' }, new Date(Date.UTC(2026, 2, 1, 0, index)));
    });
    const newestFirst = [...changed].reverse().map((repo) => repo.id);
    const deletedOnPageOne = newestFirst[10]!;
    const shiftedOntoPageOne = newestFirst[100]!;
    fake.beforeListPage = ({ page }) => {
      if (page === 2) fake.repos.delete(deletedOnPageOne);
    };
    const pass = await readAll(source, first.cursor);
    fake.beforeListPage = undefined;
    const keys = new Set(pass.records.map((record) => record.key));
    expect(keys.has(String(shiftedOntoPageOne))).toBe(true);
    for (const id of newestFirst) expect(keys.has(String(id))).toBe(true);
    // Each repository once, and the next pass has nothing left to read.
    expect(pass.records.filter((record) => record.fields.description === 'changed')).toHaveLength(
      150,
    );
    expect((await readAll(source, pass.cursor)).records).toHaveLength(0);
  });

  it('reads a push, which moves pushed_at but not updated_at, with its new README', async () => {
    const source = make({ readme: true });
    const first = await readAll(source, null);
    fake.server.resetCounts();
    const idle = await readAll(source, first.cursor);
    expect(idle.records).toHaveLength(0);
    // One listing by update time, one by push time.
    expect(fake.server.count({ path: LIST })).toBe(2);

    const pushedAt = new Date('2026-04-01T12:00:00Z');
    fake.push(1007, pushedAt, '# repo-7\n\nPushed.');
    const after = await readAll(source, idle.cursor);
    expect(after.records.map((record) => record.key)).toEqual(['1007']);
    expect(after.records[0]!.fields.pushedAt).toEqual(pushedAt);
    expect(after.records[0]!.body).toContain('Pushed.');
    expect((await readAll(source, after.cursor)).records).toHaveLength(0);
  });
});
