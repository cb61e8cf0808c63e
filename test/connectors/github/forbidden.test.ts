import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as github from '../../../src/connectors/github/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import { definePipeline, REAUTHORIZE, runPipeline } from '../../../src/sync/index.js';
import { FakeGitHub, type ForbiddenKind } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

describe('github 403s that are not rate limits pause with what a person must do', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await new FakeGitHub().start();
    fake.seedOrg('acme', 5);
  });
  afterEach(async () => {
    await fake.close();
  });

  const cases: Array<[ForbiddenKind, RegExp]> = [
    [
      'saml',
      /SAML single sign-on; authorize the token for it at https:\/\/github\.com\/orgs\/acme\/sso/,
    ],
    ['ip-allow-list', /IP allow list does not include this machine's address/],
    ['integration', /lacks a permission this needs/],
  ];
  for (const [kind, reason] of cases) {
    it(`pauses on ${kind}, naming the fix, instead of failing every run`, async () => {
      fake.forbid(kind);
      const store = memoryStore();
      const pipeline = definePipeline({
        name: 'gh',
        source: github.source({ orgs: ['acme'], auth: { token: 'ghp_test' }, baseUrl: fake.url }),
        destination: memory.destination(),
      });
      const result = await runPipeline({ store, pipeline, unit: 'org:acme' });
      expect(result.status).toBe('paused');
      expect(result.pausedReason).toContain(REAUTHORIZE);
      expect(result.pausedReason).toMatch(reason);
      await store.close();
    });
  }

  it('answers with the primary rate limit headers, as GitHub does on every response', async () => {
    const response = await fetch(`${fake.url}/orgs/acme/repos`, {
      headers: { authorization: 'token ghp_test' },
    });
    expect(response.status).toBe(200);
    for (const name of ['limit', 'remaining', 'used', 'reset', 'resource']) {
      expect(response.headers.get(`x-ratelimit-${name}`)).not.toBeNull();
    }
  });
});
