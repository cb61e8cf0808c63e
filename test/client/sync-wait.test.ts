import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsert } from '../server/helpers.js';
import { startClient, startTestServer, type TestServer } from './helpers.js';

/** A fetch that records request paths and can hold the first `/sync/pull` answer until released. */
function heldFetch(holdFirstPull: boolean) {
  const paths: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reached!: () => void;
  const pullAnswered = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let held = false;
  const fetchHeld: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    paths.push(path);
    const response = await fetch(input, init);
    if (holdFirstPull && path === '/sync/pull' && !held) {
      held = true;
      reached();
      await released;
    }
    return response;
  };
  return { paths, fetch: fetchHeld, pullAnswered, release };
}

describe('client.sync() as the wait for the first complete sync', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('right after start() waits for the first round (full resync and pull) without a second pull', async () => {
    const jwt = await server.tenantToken();
    const changes = Array.from({ length: 10 }, (_, i) => upsert(`t${i}`, { n: i }));
    expect((await server.push(jwt, { client_id: 'seed', changes })).status).toBe(200);
    const recorder = heldFetch(false);
    const started = await startClient(server, jwt, {
      live: false,
      pollIntervalMs: 60_000,
      fetch: recorder.fetch,
      fullResyncPageSize: 3,
    });
    try {
      await started.client.sync();
      expect(started.client.query('tasks')).toHaveLength(10);
      expect(recorder.paths.filter((path) => path === '/sync/full')).toHaveLength(3);
      expect(recorder.paths.filter((path) => path === '/sync/pull')).toHaveLength(1);
      expect(started.errors).toEqual([]);
    } finally {
      await started.client.close();
    }
  });

  it('asked after the running round has pulled, pulls again and has what was written since', async () => {
    const jwt = await server.tenantToken();
    expect(
      (await server.push(jwt, { client_id: 'seed', changes: [upsert('first', { n: 1 })] })).status,
    ).toBe(200);
    const recorder = heldFetch(true);
    const started = await startClient(server, jwt, {
      live: false,
      pollIntervalMs: 60_000,
      fetch: recorder.fetch,
    });
    try {
      // The first round's pull is answered (without `late`) but its answer is held back.
      await recorder.pullAnswered;
      const written = await server.push(jwt, {
        client_id: 'other',
        changes: [upsert('late', { n: 2 })],
      });
      expect(written.status).toBe(200);
      const synced = started.client.sync();
      recorder.release();
      await synced;
      expect(started.client.get('tasks', 'late')?.data).toEqual({ n: 2 });
      expect(recorder.paths.filter((path) => path === '/sync/pull')).toHaveLength(2);
      expect(started.errors).toEqual([]);
    } finally {
      await started.client.close();
    }
  });
});
