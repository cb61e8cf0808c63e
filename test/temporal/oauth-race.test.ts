import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as notion from '../../src/connectors/notion/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import {
  bundleKeepsyncWorkflows,
  keepsyncDataConverter,
  parseCodecKeys,
  startTokenWorkflows,
  startUnitWorkflows,
  tokenOwnerStatus,
  type UnitStatus,
  unitStatus,
} from '../../src/temporal/index.js';
import { FakeNotion } from '../fakes/index.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';
import { CONNECTION, notionPipelines, OAUTH_CLIENT } from './oauth-pipelines.js';

const workerScript = join(import.meta.dirname, 'oauth-worker.ts');
const TOKEN_PATH = /\/v1\/oauth\/token$/;

let env: TestWorkflowEnvironment;
let client: Client;
/** Handed to the workers as KEEPSYNC_CODEC_KEYS: tokens in history are ciphertext. */
const codecKeysText = `k1:${randomBytes(32).toString('base64')}`;
let bundlePath: string;
const children: ChildProcess[] = [];
const fakes: FakeNotion[] = [];

beforeAll(async () => {
  env = await startTemporalDevServer();
  client = new Client({
    connection: env.connection,
    dataConverter: keepsyncDataConverter(parseCodecKeys(codecKeysText)),
  });
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-oauth-race-'));
  bundlePath = join(dir, 'workflows.js');
  writeFileSync(bundlePath, ((await bundleKeepsyncWorkflows()) as { code: string }).code);
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const fake of fakes) await fake.close();
  await env?.teardown();
});

function startWorker(args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KEEPSYNC_CODEC_KEYS: codecKeysText },
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('READY')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
  });
}

/**
 * Two worker processes on one store, each running a pipeline of the same Notion connection;
 * the access token has died and both get their 401 at the same moment.
 */
async function raceTwoWorkers(mode: 'owner' | 'local', queuePrefix: string) {
  const fake = await new FakeNotion({ tokens: [], oauthClient: OAUTH_CLIENT }).start();
  fakes.push(fake);
  const { dataSourceId } = fake.createDatabase('Race', {
    Name: { type: 'title' },
    'keepsync key': { type: 'rich_text' },
  });
  const statePath = join(mkdtempSync(join(tmpdir(), 'keepsync-oauth-state-')), 'state.db');
  const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(5) });
  const tokens = await notion.exchangeCode(
    { ...OAUTH_CLIENT, baseUrl: fake.url },
    { code: fake.issueCode(), redirectUri: 'http://127.0.0.1:9/callback' },
  );
  await notion.saveTokens(store, CONNECTION, tokens);
  // Defining the pipelines registers the connection here too, for startTokenWorkflows.
  const [a, b] = notionPipelines({
    store,
    notionUrl: fake.url,
    dataSourceId,
    prefix: queuePrefix,
  });
  fake.revokeToken(tokens.access_token);
  fake.server.holdUnauthorized(2);

  const queues = [`${queuePrefix}-1`, `${queuePrefix}-2`];
  const workers = await Promise.all(
    queues.map((queue) =>
      startWorker([
        env.address,
        queue,
        bundlePath,
        statePath,
        fake.url,
        dataSourceId,
        mode,
        queuePrefix,
      ]),
    ),
  );
  if (mode === 'owner') await startTokenWorkflows({ client: client, taskQueue: queues[0]! });
  // Each pipeline on its own worker process, so no in-process sharing can hide the race.
  const activity = { maximumAttempts: 1 };
  await startUnitWorkflows({
    client: client,
    taskQueue: queues[0]!,
    pipelines: [a!],
    activity,
    stopRemoved: false,
  });
  await startUnitWorkflows({
    client: client,
    taskQueue: queues[1]!,
    pipelines: [b!],
    activity,
    stopRemoved: false,
  });
  const finished = await Promise.all(
    [a!.name, b!.name].map((pipeline) =>
      eventually(
        async () => {
          const status = await unitStatus(client, { pipeline, unit: 'all' }, { timeoutMs: 20_000 });
          if (!status.lastRun) throw new Error(`no run yet: ${JSON.stringify(status)}`);
          return status;
        },
        { timeoutMs: 120_000 },
      ),
    ),
  );
  // Asked while a worker still hosts the owner.
  const owner =
    mode === 'owner'
      ? await tokenOwnerStatus(client, { provider: 'notion', connection: CONNECTION })
      : undefined;
  for (const worker of workers) worker.kill('SIGTERM');
  await Promise.all(
    workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))),
  );
  await store.close();
  return { fake, dataSourceId, finished, owner };
}

describe('the OAuth token owner under a rotation race', () => {
  it('two workers hitting 401 at once spend the rotating refresh token once and both sync', async () => {
    const { fake, dataSourceId, finished, owner } = await raceTwoWorkers('owner', 'owner');
    expect(finished.map((status: UnitStatus) => status.lastRun?.status)).toEqual([
      'succeeded',
      'succeeded',
    ]);
    // The code exchange, then exactly one refresh; no refresh token presented twice.
    expect(fake.server.count({ method: 'POST', path: TOKEN_PATH })).toBe(2);
    expect(fake.server.count({ method: 'POST', path: TOKEN_PATH, status: 400 })).toBe(0);
    expect(fake.pagesOf(dataSourceId)).toHaveLength(10);
    expect(owner).toMatchObject({ paused: false, refreshes: 1, lastError: null });
  }, 240_000);
});
