import * as github from '../../../src/connectors/github/index.js';
import { FakeGitHub } from '../../fakes/index.js';
import type { SourceHarness } from './harness.js';

let tokens = 0;

export const githubSource: SourceHarness = {
  connector: 'github',
  mode: 'incremental',
  gaps: {},
  async start() {
    const token = `ghp_conformance_${process.pid}_${++tokens}`;
    const fake = await new FakeGitHub({ tokens: [token] }).start();
    let firstId = 10_000;
    return {
      server: fake.server,
      unit: 'org:acme',
      listPath: /^\/orgs\/acme\/repos$/,
      // GitHub answers its secondary rate limit with 403 and Retry-After.
      rateLimitedStatus: 403,
      source: ({ deletes } = {}) =>
        github.source({
          orgs: ['acme'],
          auth: { token },
          baseUrl: fake.url,
          perPage: 25,
          // An incremental org read never sees a deleted repository; a full pass does.
          mode: deletes ? 'full' : 'incremental',
        }),
      async seed(count) {
        const repos = fake.seedOrg('acme', count, firstId);
        firstId += count;
        return repos.map((repo) => String(repo.id));
      },
      async change(key) {
        const repo = fake.repos.get(Number(key))!;
        fake.touch(repo.id, { stargazers_count: repo.stargazers_count + 1 }, new Date());
      },
      async remove(key) {
        fake.repos.delete(Number(key));
      },
      revoke: () => fake.revokeToken(token),
      close: () => fake.close(),
    };
  },
};
