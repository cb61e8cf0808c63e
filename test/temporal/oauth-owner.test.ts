import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as notion from '../../src/connectors/notion/index.js';
import { installTokenBroker } from '../../src/connectors/support/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import {
  bundleKeepsyncWorkflows,
  createKeepsyncWorker,
  keepsyncDataConverter,
  reauthorizeConnection,
  startTokenWorkflows,
  startUnitWorkflows,
  temporalTokenBroker,
  tokenOwnerStatus,
  unitStatus,
} from '../../src/temporal/index.js';
import { FakeNotion } from '../fakes/index.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';
import { CONNECTION, notionPipelines, OAUTH_CLIENT } from './oauth-pipelines.js';

const TASK_QUEUE = 'oauth-owner';
const TOKEN_PATH = /\/v1\/oauth\/token$/;
const REF = { provider: 'notion', connection: CONNECTION };

let env: TestWorkflowEnvironment;
/** Every client and the worker share the codec: the tokens in history are ciphertext. */
let client: Client;
const codecKeys = [{ id: 'k1', key: new Uint8Array(randomBytes(32)) }];
let fake: FakeNotion;
let store: Store;
let worker: Worker;
let running: Promise<void>;
let uninstall: () => void;
let dataSourceId: string;
let firstTokens: { access_token: string; refresh_token?: string | null };
/** Set by a test: the next journal write is applied, then its activity never answers. */
let loseNextRefreshAnswer = false;
const hung: Array<() => void> = [];

/** The store, with a way to lose the answer of an applied refresh (the worker dies there). */
function losingStore(inner: Store): Store {
  return new Proxy(inner, {
    get(target, property) {
      if (property !== 'putSecret') {
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (name: string, value: string) => {
        await target.putSecret(name, value);
        if (name.startsWith('oauth-journal:') && loseNextRefreshAnswer) {
          loseNextRefreshAnswer = false;
          await new Promise<void>((resolve) => hung.push(resolve));
        }
      };
    },
  });
}

beforeAll(async () => {
  env = await startTemporalDevServer();
  client = new Client({
    connection: env.connection,
    dataConverter: keepsyncDataConverter(codecKeys),
  });
  fake = await new FakeNotion({ tokens: [], oauthClient: OAUTH_CLIENT }).start();
  ({ dataSourceId } = fake.createDatabase('Owner', {
    Name: { type: 'title' },
    'keepsync key': { type: 'rich_text' },
  }));
  store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(9) });
  firstTokens = await notion.exchangeCode(
    { ...OAUTH_CLIENT, baseUrl: fake.url },
    { code: fake.issueCode(), redirectUri: 'http://127.0.0.1:9/callback' },
  );
  await notion.saveTokens(store, CONNECTION, firstTokens);
  uninstall = installTokenBroker(temporalTokenBroker(client, { timeoutMs: 20_000 }));
  worker = await createKeepsyncWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    store: losingStore(store),
    codecKeys,
    pipelines: notionPipelines({ store, notionUrl: fake.url, dataSourceId, prefix: 'own-' }),
    workflowBundle: await bundleKeepsyncWorkflows(),
    leaseTtlMs: 5_000,
  });
  running = worker.run();
  // A lost answer is found out by the attempt's timeout: short here.
  await startTokenWorkflows({
    client: client,
    taskQueue: TASK_QUEUE,
    refresh: { startToCloseTimeoutMs: 3_000 },
  });
}, 120_000);

afterAll(async () => {
  for (const release of hung) release();
  uninstall?.();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await fake?.close();
  await store?.close();
});

describe('the OAuth token-owner workflow', () => {
  it('serves the stored token by query, and after a lost refresh answer returns the journaled one without spending the refresh token again', async () => {
    const broker = temporalTokenBroker(client);
    expect(await broker.current('notion', CONNECTION)).toBe(firstTokens.access_token);

    fake.revokeToken(firstTokens.access_token);
    loseNextRefreshAnswer = true;
    const fresh = await broker.refresh('notion', CONNECTION, firstTokens.access_token);
    expect(fresh).not.toBe(firstTokens.access_token);
    // One grant reached the provider; the retried attempt did not present the spent token.
    expect(fake.server.count({ method: 'POST', path: TOKEN_PATH })).toBe(2);
    expect(fake.server.count({ method: 'POST', path: TOKEN_PATH, status: 400 })).toBe(0);
    expect(hung).toHaveLength(1);
    // A caller refused with the old token later gets the new one, with no second refresh.
    expect(await broker.refresh('notion', CONNECTION, firstTokens.access_token)).toBe(fresh);
    expect(await tokenOwnerStatus(client, REF)).toMatchObject({ paused: false, refreshes: 1 });

    // The new token works: a pipeline on this connection syncs.
    await startUnitWorkflows({
      client: client,
      taskQueue: TASK_QUEUE,
      pipelines: notionPipelines({
        store,
        notionUrl: fake.url,
        dataSourceId,
        prefix: 'own-',
      }).slice(0, 1),
      activity: { maximumAttempts: 1 },
      stopRemoved: false,
    });
    const status = await eventually(async () => {
      const current = await unitStatus(client, { pipeline: 'own-a', unit: 'all' });
      if (!current.lastRun) throw new Error('no run yet');
      return current;
    });
    expect(status.lastRun?.status).toBe('succeeded');
    expect(fake.server.count({ method: 'POST', path: TOKEN_PATH })).toBe(2);
  }, 120_000);

  it('pauses on a refused refresh token, pauses the sync that asked, and resumes both on reauthorize', async () => {
    fake.revokeRefreshTokens();
    await startUnitWorkflows({
      client: client,
      taskQueue: TASK_QUEUE,
      pipelines: notionPipelines({
        store,
        notionUrl: fake.url,
        dataSourceId,
        prefix: 'own-',
      }).slice(1),
      activity: { maximumAttempts: 1 },
      stopRemoved: false,
    });
    const unit = { pipeline: 'own-b', unit: 'all' };
    const paused = await eventually(async () => {
      const current = await unitStatus(client, unit);
      if (!current.paused) throw new Error(`not paused yet: ${JSON.stringify(current)}`);
      return current;
    });
    expect(paused.pausedReason).toContain(`keepsync auth ${CONNECTION}`);
    const owner = await tokenOwnerStatus(client, REF);
    expect(owner).toMatchObject({ paused: true, waiting: 1 });
    expect(owner.pausedReason).toContain('Notion refused to refresh');

    // A person authorizes again; the owner applies the new tokens and wakes the paused sync.
    const again = await notion.exchangeCode(
      { ...OAUTH_CLIENT, baseUrl: fake.url },
      { code: fake.issueCode(), redirectUri: 'http://127.0.0.1:9/callback' },
    );
    await reauthorizeConnection(client, REF, {
      accessToken: again.access_token,
      refreshToken: again.refresh_token ?? undefined,
    });
    const resumed = await eventually(async () => {
      const current = await unitStatus(client, unit);
      if (current.paused || current.lastRun?.status !== 'succeeded') {
        throw new Error(`not resumed yet: ${JSON.stringify(current)}`);
      }
      return current;
    });
    expect(resumed.lastStats?.created).toBe(5);
    expect(await tokenOwnerStatus(client, REF)).toMatchObject({ paused: false, waiting: 0 });

    // Every token the owner held went through history sealed only.
    const history = await client.workflow
      .getHandle('keepsync:oauth:notion:workspace')
      .fetchHistory();
    const raw = allBytes(history);
    const secrets = [firstTokens, again].flatMap((tokens) => [
      tokens.access_token,
      tokens.refresh_token!,
    ]);
    expect(secrets.filter((secret) => raw.includes(secret))).toEqual([]);
    expect(raw).toContain('binary/encrypted');
  }, 120_000);
});

/** Every byte string anywhere in a history, decoded, joined: what a reader of history sees. */
function allBytes(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (value === null || typeof value !== 'object') return String(value);
  return Object.values(value).map(allBytes).join('\n');
}
