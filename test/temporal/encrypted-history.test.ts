import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline } from '../../src/sync/index.js';
import {
  bundleKeepsyncWorkflows,
  createKeepsyncWorker,
  keepsyncDataConverter,
  startUnitWorkflows,
  unitHandle,
  unitStatus,
} from '../../src/temporal/index.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

let env: TestWorkflowEnvironment | undefined;
afterAll(async () => {
  await env?.teardown();
});

describe('the payload codec on a real server', () => {
  it('keeps history ciphertext only, while codec clients query and signal as usual', async () => {
    env = await startTemporalDevServer();
    const keys = [{ id: 'k1', key: new Uint8Array(randomBytes(32)) }];
    const store = openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(2) });
    const pipeline = definePipeline({
      name: 'confidential',
      source: memory.source({ units: { u1: [{ key: 'x', fields: { v: 1 } }] } }),
      destination: memory.destination(),
      schedule: { everyMs: 3_600_000 },
    });
    const worker = await createKeepsyncWorker({
      connection: env.nativeConnection,
      taskQueue: 'encrypted',
      store,
      pipelines: [pipeline],
      codecKeys: keys,
      workflowBundle: await bundleKeepsyncWorkflows(),
    });
    const client = new Client({
      connection: env.connection,
      dataConverter: keepsyncDataConverter(keys),
    });
    await worker.runUntil(async () => {
      await startUnitWorkflows({ client, taskQueue: 'encrypted', pipelines: [pipeline] });
      const ref = { pipeline: 'confidential', unit: 'u1' };
      await eventually(async () => {
        const status = await unitStatus(client, ref);
        if (status.lastRun?.status !== 'succeeded') throw new Error(JSON.stringify(status));
      });
      const history = await unitHandle(env!.client, ref).fetchHistory();
      const payloads = collectPayloads(history);
      // Workflow input, activity input and result, signals: every one sealed.
      expect(payloads.length).toBeGreaterThanOrEqual(4);
      for (const payload of payloads) {
        expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe('binary/encrypted');
        expect(Buffer.from(payload.data!).includes('confidential')).toBe(false);
      }
      // A client without the key cannot read the answer: it gets ciphertext, not the status.
      await expect(unitStatus(env!.client, ref)).rejects.toThrow();
    });
    await store.close();
  }, 180_000);
});

interface RawPayload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

/** Every Payload anywhere in the history's events. */
function collectPayloads(history: unknown): RawPayload[] {
  const found: RawPayload[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const candidate = value as RawPayload;
    if (
      candidate.metadata &&
      candidate.data instanceof Uint8Array &&
      'encoding' in candidate.metadata
    ) {
      found.push(candidate);
      return;
    }
    for (const child of Object.values(value)) visit(child);
  };
  visit(history);
  return found;
}
