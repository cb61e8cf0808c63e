import { generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import * as github from '../../../src/connectors/github/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeGitHub } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const TOKENS = /^\/app\/installations\/7\/access_tokens$/;

describe('github App installation tokens', () => {
  let fake: FakeGitHub | undefined;
  afterEach(async () => {
    await fake?.close();
  });

  it('mints a new token when the one in use expires mid-run, and the run goes on with nothing failed', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // GitHub's tokens live an hour; this one a few seconds (past auth-app's 5 s window in
    // which a 401 is taken for replication lag and retried with the same token).
    fake = await new FakeGitHub({
      tokens: [],
      app: {
        appId: 42,
        installationId: 7,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      },
      installationTokenTtlMs: 5_500,
    }).start();
    const server = fake;
    server.seedOrg('acme', 250);
    let waited = false;
    const store = memoryStore();
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'gh',
      source: github.source({
        orgs: ['acme'],
        mode: 'full',
        perPage: 100,
        baseUrl: server.url,
        auth: {
          appId: 42,
          installationId: 7,
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
        // Holds the first page until its token has expired: the next request meets a 401.
        enrich: async ({ record }) => {
          if (!waited) {
            waited = true;
            while (Date.now() <= server.installationTokenExpiresAt! + 50) await sleep(100);
          }
          return record;
        },
      }),
      destination,
    });
    const result = await runPipeline({ store, pipeline, unit: 'org:acme' });
    expect(result.error).toBeNull();
    expect(result.status).toBe('succeeded');
    expect(result.stats).toMatchObject({ created: 250, failed: 0 });
    expect(destination.byKey().size).toBe(250);
    expect(await store.listDeadLetters({ pipeline: 'gh' })).toEqual([]);
    expect(server.server.count({ status: 401 })).toBeGreaterThan(0);
    expect(server.server.count({ method: 'POST', path: TOKENS })).toBe(2);
    await store.close();
  }, 60_000);
});
