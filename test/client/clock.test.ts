import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createSyncClient,
  type RejectedEdit,
  type SyncClient,
} from '../../src/client/index.js';
import {
  createNetwork,
  eventually,
  serverState,
  startClient,
  startTestServer,
  type TestServer,
} from './helpers.js';

const DAY_MS = 86_400_000;
const wallMs = (version: string) => Number(version.slice(0, 15));
const tenantOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { tenant: string })
    .tenant;

describe('clients with wrong clocks and refused edits', () => {
  const servers: TestServer[] = [];
  const clients: SyncClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.close()));
  });
  async function serverAt(skewMs: number, options: Parameters<typeof startTestServer>[0] = {}) {
    const server = await startTestServer({ now: () => Date.now() + skewMs, ...options });
    servers.push(server);
    return server;
  }

  it('loses no edit of a device whose clock is a day ahead of the server', async () => {
    const server = await serverAt(-DAY_MS);
    const jwt = await server.tenantToken();
    const fast = await startClient(server, jwt);
    const other = await startClient(server, jwt);
    clients.push(fast.client, other.client);
    for (const id of ['a', 'b', 'c']) await fast.client.put('tasks', id, { by: 'fast', id });
    await fast.client.delete('tasks', 'b');
    await eventually(() => expect(fast.client.pendingCount()).toBe(0), 15_000);
    expect(fast.rejects).toEqual([]);
    expect(fast.client.rejected()).toEqual([]);
    const expected = { 'tasks/a': { by: 'fast', id: 'a' }, 'tasks/c': { by: 'fast', id: 'c' } };
    expect(await serverState(server, jwt)).toEqual(expected);
    expect(fast.client.query('tasks').map((doc) => doc.id)).toEqual(['a', 'c']);
    await eventually(() =>
      expect(other.client.query('tasks').map((doc) => doc.id)).toEqual(['a', 'c']),
    );
  });

  it("runs a device a day behind on the server's clock, for offline edits after a restart too", async () => {
    const server = await serverAt(DAY_MS);
    const jwt = await server.tenantToken();
    const tenant = tenantOf(jwt);
    const store = createMemoryStore();
    const first = await startClient(server, jwt, { store });
    // The first answer from the server sets the clock; edits from then on carry its time.
    await eventually(() => expect(first.client.connection).toBe('live'));
    await first.client.put('tasks', 'online', { n: 1 });
    await eventually(() => expect(first.client.pendingCount()).toBe(0), 15_000);
    await first.client.close();

    // Restarted without a network: the edit is stamped with the offset stored last session.
    const network = createNetwork();
    network.down();
    const second = await createSyncClient({
      url: server.url,
      collections: ['tasks'],
      store,
      getToken: () => jwt,
      fetch: network.fetch,
      webSocket: network.WebSocket,
      pollIntervalMs: 100,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    clients.push(second);
    await second.start();
    await second.put('tasks', 'offline', { n: 2 });
    const editedAt = Date.now() + DAY_MS;
    network.up();
    await eventually(() => expect(second.pendingCount()).toBe(0), 15_000);
    for (const id of ['online', 'offline']) {
      const stored = await server.store.getDocument(tenant, 'tasks', id);
      expect(Math.abs(wallMs(stored!.editVersion) - editedAt)).toBeLessThan(60_000);
    }
  });

  it('keeps an edit the server refuses, with the reason, across a restart, until retried or dismissed', async () => {
    let notesAllowed = false;
    const server = await serverAt(0, {
      authorize: ({ collection, operation }) =>
        operation !== 'push' || collection !== 'notes' || notesAllowed,
    });
    const jwt = await server.tenantToken();
    const store = createMemoryStore();
    const a = await startClient(server, jwt, { store, live: false });
    // One batch: the server rejects the notes (403 from authorize); the task must still go.
    await a.client.put('notes', 'n1', { text: 'kept' });
    await a.client.put('tasks', 't1', { title: 'goes through' });
    await a.client.put('notes', 'n2', { text: 'also kept' });
    await eventually(() => expect(a.client.pendingCount()).toBe(0), 15_000);
    expect(await serverState(server, jwt)).toEqual({ 'tasks/t1': { title: 'goes through' } });
    const refused = (edits: readonly RejectedEdit[]) =>
      edits.map((edit) => [edit.collection, edit.id, edit.code, edit.local.data]);
    expect(refused(a.client.rejected())).toEqual([
      ['notes', 'n1', 'FORBIDDEN', { text: 'kept' }],
      ['notes', 'n2', 'FORBIDDEN', { text: 'also kept' }],
    ]);
    expect(a.client.rejected()[0]!.error).toMatch(/Not allowed to push collection `notes`/);
    expect(refused(a.rejects)).toEqual(refused(a.client.rejected()));
    await a.client.close();

    const b = await startClient(server, jwt, { store, live: false });
    clients.push(b.client);
    expect(refused(b.client.rejected())).toHaveLength(2);
    notesAllowed = true;
    const [n1, n2] = b.client.rejected();
    await b.client.retryRejected(n1!.editId);
    await b.client.dismissRejected(n2!.editId);
    expect(b.client.rejected()).toEqual([]);
    expect(b.client.get('notes', 'n1')).toMatchObject({ data: { text: 'kept' }, pending: true });
    await eventually(() => expect(b.client.pendingCount()).toBe(0), 15_000);
    expect(await serverState(server, jwt)).toEqual({
      'notes/n1': { text: 'kept' },
      'tasks/t1': { title: 'goes through' },
    });
    expect(await store.rejected()).toEqual([]);
  });

  it('finds the one change of a batch the server refuses as a whole (400) and lets the rest through', async () => {
    const server = await serverAt(0);
    const jwt = await server.tenantToken();
    const a = await startClient(server, jwt, { live: false });
    clients.push(a.client);
    let deep: Record<string, unknown> = {};
    for (let level = 0; level < 150; level++) deep = { deep };
    await a.client.put('tasks', 'before', { n: 1 });
    await a.client.put('tasks', 'deep', deep);
    await a.client.put('tasks', 'after', { n: 2 });
    await eventually(() => expect(a.client.pendingCount()).toBe(0), 15_000);
    expect(await serverState(server, jwt)).toEqual({
      'tasks/before': { n: 1 },
      'tasks/after': { n: 2 },
    });
    expect(a.client.rejected().map((edit) => [edit.id, edit.code])).toEqual([
      ['deep', 'REQUEST_INVALID'],
    ]);
    expect(a.client.rejected()[0]!.error).toMatch(/must not nest deeper than 100 levels/);
    // Later edits are not stuck behind it.
    await a.client.put('tasks', 'later', { n: 3 });
    await eventually(() => expect(a.client.pendingCount()).toBe(0), 15_000);
  });
});
