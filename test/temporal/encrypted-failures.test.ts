import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline } from '../../src/sync/index.js';
import {
  aesGcmCodec,
  bundleKeepsyncWorkflows,
  createCodecServer,
  createKeepsyncWorker,
  keepsyncDataConverter,
  startUnitWorkflows,
  unitHandle,
  unitStatus,
} from '../../src/temporal/index.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

const SECRET_IN_ERROR = 'tok_5ecret_in_the_provider_answer';

let env: TestWorkflowEnvironment | undefined;
afterAll(async () => {
  await env?.teardown();
});

interface RawPayload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

function collectPayloads(value: unknown, found: RawPayload[] = []): RawPayload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return found;
  const candidate = value as RawPayload;
  if (
    candidate.metadata &&
    candidate.data instanceof Uint8Array &&
    'encoding' in candidate.metadata
  ) {
    found.push(candidate);
    return found;
  }
  for (const child of Object.values(value)) collectPayloads(child, found);
  return found;
}

function allBytes(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (value === null || typeof value !== 'object') return String(value);
  return Object.values(value).map(allBytes).join('\n');
}

function toJson(payload: RawPayload) {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value).toString('base64'),
      ]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

async function listen(server: ReturnType<typeof createCodecServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('failure messages and the codec server', () => {
  it('keeps error messages sealed in history; a codec server with rotated keys still opens them', async () => {
    env = await startTemporalDevServer();
    const k1 = { id: 'k1', key: new Uint8Array(randomBytes(32)) };
    const k2 = { id: 'k2', key: new Uint8Array(randomBytes(32)) };
    const store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(4) });
    const pipeline = definePipeline({
      name: 'leaky',
      source: memory.source({ units: { u1: [{ key: 'x', fields: { v: 1 } }] } }),
      destination: memory.destination({
        fault: () => ({ status: 'auth', error: `provider said: ${SECRET_IN_ERROR} is revoked` }),
      }),
      schedule: { everyMs: 3_600_000 },
    });
    const worker = await createKeepsyncWorker({
      connection: env.nativeConnection,
      taskQueue: 'encrypted-failures',
      store,
      pipelines: [pipeline],
      codecKeys: [k1],
      workflowBundle: await bundleKeepsyncWorkflows(),
    });
    const client = new Client({
      connection: env.connection,
      dataConverter: keepsyncDataConverter([k1]),
    });
    const ref = { pipeline: 'leaky', unit: 'u1' };
    const history = await worker.runUntil(async () => {
      await startUnitWorkflows({ client, taskQueue: 'encrypted-failures', pipelines: [pipeline] });
      const status = await eventually(async () => {
        const current = await unitStatus(client, ref);
        if (!current.paused) throw new Error(JSON.stringify(current));
        return current;
      });
      // The codec's clients read the reason in full.
      expect(status.pausedReason).toContain(SECRET_IN_ERROR);
      return unitHandle(env!.client, ref).fetchHistory();
    });
    await store.close();
    // The activity failure is in history, its message only as ciphertext.
    expect(allBytes(history)).toContain('binary/encrypted');
    expect(allBytes(history)).not.toContain(SECRET_IN_ERROR);

    // Keys rotated: k2 encrypts now, k1 still decrypts the old history.
    const rotated = createCodecServer({
      codec: aesGcmCodec({ keys: [k2, k1] }),
      corsOrigins: ['http://localhost:8233'],
      token: 'ui-token',
    });
    const only = createCodecServer({ codec: aesGcmCodec({ keys: [k2] }) });
    const rotatedUrl = await listen(rotated);
    const onlyUrl = await listen(only);
    try {
      const payloads = collectPayloads(history).map(toJson);
      const post = (url: string, body: unknown, token = 'ui-token') =>
        fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            origin: 'http://localhost:8233',
            'x-namespace': 'default',
          },
          body: JSON.stringify(body),
        });
      const decoded = await post(`${rotatedUrl}/decode`, { payloads });
      expect(decoded.status).toBe(200);
      expect(decoded.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      const clear = (await decoded.json()) as { payloads: Array<{ data: string }> };
      const texts = clear.payloads.map((payload) => Buffer.from(payload.data, 'base64').toString());
      expect(texts.some((text) => text.includes(SECRET_IN_ERROR))).toBe(true);

      const encoded = await post(`${rotatedUrl}/encode`, { payloads: [clear.payloads[0]] });
      const sealed = (await encoded.json()) as {
        payloads: Array<{ metadata: Record<string, string> }>;
      };
      expect(
        Buffer.from(sealed.payloads[0]!.metadata['encryption-key-id']!, 'base64').toString(),
      ).toBe('k2');

      const refused = await post(`${rotatedUrl}/decode`, { payloads }, 'wrong');
      expect(refused.status).toBe(401);
      const missingKey = await post(`${onlyUrl}/decode`, { payloads });
      expect(missingKey.status).toBe(422);
      expect(((await missingKey.json()) as { message: string }).message).toContain('codec key k1');
    } finally {
      rotated.close();
      only.close();
    }
  }, 180_000);
});
