import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import * as github from '../../../src/connectors/github/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import { definePipeline, QUOTA_WAIT, runPipeline } from '../../../src/sync/index.js';
import { FakeGitHub, type FakeGitHubOptions } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const LIST = /^\/orgs\/acme\/repos$/;

/** GitHub's error body for a 403 (`basic-error`), from its OpenAPI description. */
const basicError = (
  createRequire(import.meta.url)('@octokit/openapi/generated/api.github.com.deref.json') as {
    paths: Record<string, { get: { responses: Record<string, { content: object }> } }>;
  }
).paths['/repos/{owner}/{repo}']!.get.responses['403']!.content as {
  'application/json': { schema: object };
};
const validateError = new Ajv({ strict: false }).compile(basicError['application/json'].schema);

describe('github rate limits, answered as GitHub documents them', () => {
  let fake: FakeGitHub | undefined;
  afterEach(async () => {
    await fake?.close();
  });

  async function setUp(options: FakeGitHubOptions, count: number) {
    fake = await new FakeGitHub(options).start();
    fake.seedOrg('acme', count);
    const store = memoryStore();
    const destination = memory.destination();
    const pipeline = (extra: Partial<github.GitHubSourceOptions> = {}) =>
      definePipeline({
        name: 'gh',
        source: github.source({
          orgs: ['acme'],
          auth: { token: 'ghp_test' },
          baseUrl: fake!.url,
          mode: 'full',
          perPage: 100,
          ...extra,
        }),
        destination,
      });
    return { fake, store, destination, pipeline };
  }

  it('answers a used-up primary limit with 403, remaining 0 and the reset, and no retry-after', async () => {
    const { fake } = await setUp({ primaryRateLimit: { limit: 1, windowMs: 60_000 } }, 3);
    const headers = { authorization: 'token ghp_test' };
    expect((await fetch(`${fake.url}/orgs/acme/repos`, { headers })).status).toBe(200);
    const refused = await fetch(`${fake.url}/orgs/acme/repos`, { headers });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('x-ratelimit-reset')) * 1000).toBeGreaterThan(Date.now());
    expect(refused.headers.get('retry-after')).toBeNull();
    const body = await refused.json();
    expect(validateError(body)).toBe(true);
    expect(body.message).toMatch(/^API rate limit exceeded/);
  });

  it('waits for a primary limit that resets soon (403, no retry-after) and reads every repository once', async () => {
    const { fake, store, destination, pipeline } = await setUp(
      { primaryRateLimit: { limit: 3, windowMs: 1_500 } },
      500,
    );
    const result = await runPipeline({ store, pipeline: pipeline(), unit: 'org:acme' });
    expect(result.status).toBe('succeeded');
    expect(result.stats.created).toBe(500);
    expect(destination.byKey().size).toBe(500);
    expect(fake.server.count({ path: LIST, status: 200 })).toBe(5);
    // Each refusal was waited out until the reset, not retried at once into another refusal.
    const refused = fake.server.count({ path: LIST, status: 403 });
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(2);
    expect(result.stats.rateLimitWaitMs).toBeGreaterThan(0);
    await store.close();
  }, 60_000);

  it('pauses the unit until the reset when it is further off than maxRateLimitWaitMs (429), then goes on', async () => {
    const { fake, store, destination, pipeline } = await setUp(
      { primaryRateLimit: { limit: 2, windowMs: 3_600_000, status: 429 } },
      300,
    );
    const defined = pipeline();
    const limited = await runPipeline({ store, pipeline: defined, unit: 'org:acme' });
    expect(limited.status).toBe('paused');
    const resetAt = Math.ceil(fake.limits.primaryResetAt! / 1000) * 1000;
    expect(limited.resumesAt?.getTime()).toBe(resetAt);
    expect(limited.pausedReason).toContain(`${QUOTA_WAIT} ${new Date(resetAt).toISOString()}`);
    expect(limited.pausedReason).toContain("GitHub's primary rate limit is used up (429)");
    // No hour-long wait was held, and what was read before it is committed.
    expect(limited.stats.rateLimitWaitMs).toBe(0);
    expect(fake.server.count({ path: LIST, status: 429 })).toBe(1);
    expect(limited.stats.created).toBe(200);

    fake.limits.resetPrimary();
    const after = await runPipeline({ store, pipeline: defined, unit: 'org:acme' });
    expect(after.status).toBe('succeeded');
    expect(after.stats.created).toBe(100);
    expect(destination.byKey().size).toBe(300);
    await store.close();
  });

  it('backs off on a secondary 429 without retry-after for secondaryRateLimitWaitMs, and goes on', async () => {
    const { fake, store, destination, pipeline } = await setUp({}, 250);
    fake.limits.secondary({ times: 2, status: 429 });
    const result = await runPipeline({
      store,
      // GitHub asks for at least a minute; scaled down here.
      pipeline: pipeline({ secondaryRateLimitWaitMs: 150 }),
      unit: 'org:acme',
    });
    expect(result.status).toBe('succeeded');
    expect(destination.byKey().size).toBe(250);
    expect(fake.server.count({ path: LIST, status: 429 })).toBe(2);
    expect(fake.server.count({ path: LIST, status: 200 })).toBe(3);
    // The fallback wait, once per refusal (the count of what was waited, not wall time).
    expect(result.stats.rateLimitWaitMs).toBe(300);
    await store.close();
  });
});
