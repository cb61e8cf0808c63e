import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as github from '../../../src/connectors/github/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeGitHub } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const BY_ID = /^\/repositories\/\d+$/;

describe('github full mode: deletes only what GitHub confirms is gone', () => {
  let fake: FakeGitHub;
  let store: Store;
  beforeEach(async () => {
    fake = await new FakeGitHub().start();
    store = memoryStore();
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  function pipeline(options: Partial<github.GitHubSourceOptions> = {}) {
    const destination = memory.destination();
    const defined = definePipeline({
      name: 'gh',
      source: github.source({
        orgs: ['acme'],
        auth: { token: 'ghp_test' },
        baseUrl: fake.url,
        mode: 'full',
        perPage: 100,
        ...options,
      }),
      destination,
      deletes: 'delete',
    });
    return { destination, run: () => runPipeline({ store, pipeline: defined, unit: 'org:acme' }) };
  }

  /** The repository listed first on page 2 (by full name), and one listed on page 1. */
  function sortedIds(): number[] {
    return [...fake.repos.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((repo) => repo.id);
  }

  it('keeps a repository a shifting listing skipped, and deletes the deleted one a pass later', async () => {
    fake.seedOrg('acme', 250);
    const { destination, run } = pipeline();
    expect((await run()).stats.created).toBe(250);

    const ids = sortedIds();
    const deletedOnPageOne = ids[5]!;
    const shiftedOntoPageOne = ids[100]!;
    fake.beforeListPage = ({ page }) => {
      if (page === 2) fake.repos.delete(deletedOnPageOne);
    };
    fake.server.resetCounts();
    const shifted = await run();
    fake.beforeListPage = undefined;
    expect(shifted.status).toBe('succeeded');
    expect(shifted.stats.deleted).toBe(0);
    expect(destination.byKey().has(String(shiftedOntoPageOne))).toBe(true);
    expect(fake.server.count({ path: BY_ID })).toBe(1);

    // Moved to another owner: gone from this org's unit, though GitHub still serves it by id.
    const transferred = ids[7]!;
    fake.repos.get(transferred)!.owner = 'elsewhere';
    const next = await run();
    expect(next.stats.deleted).toBe(2);
    expect(destination.byKey().has(String(deletedOnPageOne))).toBe(false);
    expect(destination.byKey().has(String(transferred))).toBe(false);
    expect(destination.byKey().size).toBe(248);
  });

  it('fails the run, removing nothing, when the lookup itself fails', async () => {
    fake.seedOrg('acme', 20);
    const { destination, run } = pipeline({ retries: 0 });
    await run();
    fake.repos.delete(sortedIds()[3]!);
    fake.server.inject({ kind: 'status', status: 500, times: 10, path: BY_ID });
    const result = await run();
    expect(result.status).toBe('failed');
    expect(destination.byKey().size).toBe(20);
  });
});
