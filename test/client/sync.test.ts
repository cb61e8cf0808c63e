import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, type SyncClient } from '../../src/client/index.js';
import {
  clientState,
  eventually,
  serverState,
  startClient,
  startTestServer,
  type TestClient,
  type TestServer,
  token,
} from './helpers.js';

describe('sync client against a real server on loopback', () => {
  let server: TestServer;
  const clients: SyncClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      collections: { tasks: {}, notes: { deletePolicy: 'reject_update' }, projects: {} },
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
  });

  async function connect(jwt: string, options: Parameters<typeof startClient>[2] = {}) {
    const started = await startClient(server, jwt, options);
    clients.push(started.client);
    return started;
  }

  async function live(...list: TestClient[]) {
    await eventually(() => {
      for (const { client } of list) expect(client.connection).toBe('live');
    });
  }

  it('answers a write locally at once and carries it to another client over the live stream', async () => {
    const jwt = await server.tenantToken();
    const a = await connect(jwt);
    const b = await connect(jwt);
    await live(a, b);
    const written = await a.client.put('tasks', 't1', { title: 'Buy milk', done: false });
    expect(written).toMatchObject({ id: 't1', pending: true, data: { title: 'Buy milk' } });
    expect(a.client.get('tasks', 't1')?.data).toEqual({ title: 'Buy milk', done: false });
    await eventually(() =>
      expect(b.client.get('tasks', 't1')?.data).toEqual({ title: 'Buy milk', done: false }),
    );
    await eventually(() => expect(a.client.get('tasks', 't1')?.pending).toBe(false));
    expect(a.client.pendingCount()).toBe(0);
    expect(await serverState(server, jwt)).toEqual({
      'tasks/t1': { title: 'Buy milk', done: false },
    });
  });

  it('keeps working offline, then both clients converge and the loser hears about the conflict', async () => {
    const jwt = await server.tenantToken();
    const a = await connect(jwt);
    const b = await connect(jwt);
    await live(a, b);
    await a.client.put('tasks', 'shared', { title: 'v0' });
    await eventually(() => expect(b.client.get('tasks', 'shared')?.pending).toBe(false));

    a.network.down();
    await eventually(() => expect(a.client.connection).toBe('offline'));
    await a.client.put('tasks', 'shared', { title: 'edited offline by A' });
    await a.client.put('tasks', 'a-only', { title: 'created offline' });
    await a.client.delete('tasks', 'a-only');
    await a.client.put('tasks', 'a-new', { n: 1 });
    expect(a.client.pendingCount()).toBe(4);
    expect(a.client.get('tasks', 'a-only')).toBeUndefined();
    // B edits the same document later, so last-writer-wins keeps B's edit.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await b.client.put('tasks', 'shared', { title: 'edited online by B' });
    await eventually(() => expect(b.client.pendingCount()).toBe(0));

    a.network.up();
    await eventually(async () => {
      await a.client.sync();
      await b.client.sync();
      const expected = await serverState(server, jwt);
      expect(clientState(a.client)).toEqual(expected);
      expect(clientState(b.client)).toEqual(expected);
      expect(a.client.pendingCount()).toBe(0);
    });
    expect(clientState(a.client)).toMatchObject({
      'tasks/shared': { title: 'edited online by B' },
      'tasks/a-new': { n: 1 },
    });
    expect(a.conflicts).toEqual([
      expect.objectContaining({
        collection: 'tasks',
        id: 'shared',
        winner: 'server',
        local: { operation: 'upsert', data: { title: 'edited offline by A' } },
        server: expect.objectContaining({ data: { title: 'edited online by B' }, deleted: false }),
      }),
    ]);
  });

  it('sends a retried push after a lost response without creating a second version', async () => {
    const jwt = await server.tenantToken();
    const a = await connect(jwt, { live: false });
    a.network.loseNextResponse('/sync/push');
    await a.client.put('tasks', 'once', { title: 'only one version' });
    await eventually(async () => {
      await a.client.sync();
      expect(a.client.pendingCount()).toBe(0);
    });
    expect(a.network.requests.filter((path) => path === '/sync/push').length).toBe(2);
    const pulled = (await (await server.pull(jwt, { since: '0' })).json()) as {
      changes: Array<{ doc_id: string }>;
    };
    expect(pulled.changes.map((change) => change.doc_id)).toEqual(['once']);
    expect(a.conflicts).toEqual([]);
  });

  it('collapses many offline edits into one push request and bases later edits on the accepted one', async () => {
    const jwt = await server.tenantToken();
    const a = await connect(jwt, { live: false });
    await eventually(() => expect(a.client.connection).toBe('online'));
    a.network.down();
    for (let i = 0; i < 10; i++) await a.client.put('tasks', `q${i % 4}`, { i });
    const before = a.network.requests.length;
    a.network.up();
    await a.client.sync();
    const pushes = a.network.requests.slice(before).filter((path) => path === '/sync/push');
    expect(pushes).toEqual(['/sync/push']);
    expect(a.client.query('tasks').map((doc) => [doc.id, doc.data, doc.pending])).toEqual([
      ['q0', { i: 8 }, false],
      ['q1', { i: 9 }, false],
      ['q2', { i: 6 }, false],
      ['q3', { i: 7 }, false],
    ]);
    // A later edit is based on the accepted version: no conflict.
    await a.client.put('tasks', 'q0', { i: 10 });
    await a.client.sync();
    expect(a.conflicts).toEqual([]);
    expect((await serverState(server, jwt))['tasks/q0']).toEqual({ i: 10 });
  });

  it('tells the app about a rejected edit and shows the server state again', async () => {
    const jwt = await server.tenantToken();
    const a = await connect(jwt);
    const b = await connect(jwt);
    await live(a, b);
    await a.client.put('notes', 'n1', { text: 'hello' });
    await eventually(() => expect(b.client.get('notes', 'n1')?.pending).toBe(false));
    a.network.down();
    await a.client.put('notes', 'n1', { text: 'edit of a deleted note' });
    await b.client.delete('notes', 'n1');
    await eventually(() => expect(b.client.pendingCount()).toBe(0));
    a.network.up();
    await eventually(() => expect(a.rejects.length).toBe(1));
    expect(a.rejects[0]).toMatchObject({ collection: 'notes', id: 'n1', code: 'DOCUMENT_DELETED' });
    await eventually(() => expect(a.client.get('notes', 'n1')).toBeUndefined());
  });

  it('follows full_resync_required: replaces local state and keeps the pending outbox', async () => {
    const jwt = await server.tenantToken();
    const writer = await connect(jwt);
    await writer.client.put('tasks', 'server-1', { n: 1 });
    await writer.client.put('tasks', 'server-2', { n: 2 });
    await eventually(() => expect(writer.client.pendingCount()).toBe(0));

    const store = createMemoryStore();
    // A cursor the server never handed out (e.g. a restored backup): the server asks for a resync.
    await store.apply({
      lastSeq: '999999999',
      documents: [
        {
          collection: 'tasks',
          docId: 'stale',
          version: '000000000000001-000000-x',
          deleted: false,
          data: { old: true },
        },
      ],
    });
    const pushFails = { on: true };
    const a = await connect(jwt, {
      store,
      live: false,
      fetch: async (input, init) => {
        if (pushFails.on && String(input).endsWith('/sync/push')) {
          return new Response('{"error":{"code":"UNAVAILABLE","message":"down"}}', { status: 503 });
        }
        return fetch(input, init);
      },
    });
    await a.client.put('tasks', 'local-only', { mine: true });
    await eventually(() => expect(a.client.get('tasks', 'server-2')?.data).toEqual({ n: 2 }));
    expect(a.client.get('tasks', 'stale')).toBeUndefined();
    expect(a.client.get('tasks', 'local-only')).toMatchObject({
      pending: true,
      data: { mine: true },
    });
    expect(a.client.pendingCount()).toBe(1);
    expect(Number((await store.meta()).lastSeq)).toBeLessThan(999999999);
    pushFails.on = false;
    await eventually(async () => {
      await a.client.sync();
      expect(await serverState(server, jwt)).toEqual({
        'tasks/server-1': { n: 1 },
        'tasks/server-2': { n: 2 },
        'tasks/local-only': { mine: true },
      });
    });
  });

  it('asks getToken for a fresh token after a 401 and goes on', async () => {
    const jwt = await server.tenantToken();
    const expired = await token({ sub: 'alice', tenant: 'x' }, { expiresIn: -10 });
    const reasons: string[] = [];
    const a = await connect(jwt, {
      getToken: ({ reason }) => {
        reasons.push(reason);
        return reason === 'initial' ? expired : jwt;
      },
    });
    await a.client.put('tasks', 'auth', { ok: true });
    await eventually(() => expect(a.client.pendingCount()).toBe(0));
    expect(reasons.slice(0, 2)).toEqual(['initial', 'unauthorized']);
    await eventually(() => expect(a.client.connection).toBe('live'));
    expect(await serverState(server, jwt)).toEqual({ 'tasks/auth': { ok: true } });
  });

  it('calls subscribers with the filtered documents of their collection until they unsubscribe', async () => {
    const jwt = await server.tenantToken();
    const a = await connect(jwt);
    const b = await connect(jwt);
    await live(a, b);
    const seen: string[][] = [];
    const stop = b.client.subscribe(
      'tasks',
      (doc) => doc.data.done === false,
      ({ documents }) => seen.push(documents.map((doc) => doc.id)),
    );
    const notes: number[] = [];
    b.client.subscribe('notes', ({ documents }) => notes.push(documents.length));
    expect(seen).toEqual([[]]);
    await a.client.put('tasks', 'open', { done: false });
    await eventually(() => expect(seen.at(-1)).toEqual(['open']));
    await a.client.put('tasks', 'closed', { done: true });
    await a.client.put('tasks', 'open2', { done: false });
    await eventually(() => expect(seen.at(-1)).toEqual(['open', 'open2']));
    stop();
    const count = seen.length;
    await a.client.delete('tasks', 'open');
    await eventually(() => expect(b.client.get('tasks', 'open')).toBeUndefined());
    expect(seen.length).toBe(count);
    expect(notes).toEqual([0]);
  });

  it('refuses writes to collections it does not sync and documents that are not objects', async () => {
    const jwt = await server.tenantToken();
    const a = await connect(jwt, { live: false });
    await expect(a.client.put('users', 'u', {})).rejects.toThrow(/Unknown collection `users`/);
    await expect(a.client.put('tasks', '', {})).rejects.toThrow(/document id/);
    await expect(a.client.put('tasks', 'x', [] as never)).rejects.toThrow(/plain object/);
    expect(a.client.pendingCount()).toBe(0);
  });
});
