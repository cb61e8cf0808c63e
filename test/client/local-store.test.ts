import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BaseDocument,
  createMemoryStore,
  type LocalStore,
  openIndexedDbStore,
} from '../../src/client/index.js';
import {
  eventually,
  serverState,
  startClient,
  startTestServer,
  type TestServer,
} from './helpers.js';

const v = (n: number) => `${String(1_700_000_000_000 + n).padStart(15, '0')}-000000-s`;
const doc = (
  docId: string,
  n: number,
  data: Record<string, unknown> | null = { n },
): BaseDocument => ({
  collection: 'tasks',
  docId,
  version: v(n),
  deleted: data === null,
  data,
});
const edit = (id: string, docId: string, parentVersion: string | null) => ({
  id,
  collection: 'tasks',
  docId,
  operation: 'upsert' as const,
  data: { id },
  parentVersion,
  hlc: v(100),
});

let names = 0;
const backends: Array<[string, () => Promise<LocalStore>]> = [
  ['memory', async () => createMemoryStore()],
  ['IndexedDB (fake-indexeddb)', () => openIndexedDbStore({ name: `conformance-${++names}` })],
];

for (const [name, open] of backends) {
  describe(`local store conformance: ${name}`, () => {
    it('starts empty, keeps the first client id, and orders the outbox by edit', async () => {
      const store = await open();
      expect(await store.meta()).toEqual({
        lastSeq: '0',
        clientId: null,
        resyncing: false,
        resyncCursor: null,
        clockOffsetMs: 0,
        pushInFlight: null,
      });
      await store.setClientId('first');
      if (store.shared) {
        await store.setClientId('second');
        expect((await store.meta()).clientId).toBe('first');
      }
      const a = await store.enqueue(edit('e1', 'a', null));
      const b = await store.enqueue(edit('e2', 'b', null));
      expect(b.order).toBeGreaterThan(a.order);
      expect((await store.outbox()).map((entry) => entry.id)).toEqual(['e1', 'e2']);
      await store.close();
    });

    it('applies documents only over older versions, removes answered edits and moves the cursor, together', async () => {
      const store = await open();
      await store.apply({ documents: [doc('a', 5), doc('b', 5)], lastSeq: '10' });
      await store.enqueue(edit('e1', 'a', v(5)));
      await store.enqueue(edit('e2', 'a', v(5)));
      await store.enqueue(edit('e3', 'b', v(5)));
      await store.apply({
        documents: [doc('a', 7), doc('b', 3, { stale: true })],
        removeOutbox: ['e1'],
        reparent: [{ collection: 'tasks', docId: 'a', from: v(5), to: v(7) }],
        lastSeq: '12',
      });
      const docs = await store.documentsOf([
        { collection: 'tasks', docId: 'a' },
        { collection: 'tasks', docId: 'b' },
        { collection: 'tasks', docId: 'missing' },
      ]);
      expect(docs.map((d) => [d.docId, d.data])).toEqual([
        ['a', { n: 7 }],
        ['b', { n: 5 }],
      ]);
      expect((await store.outbox()).map((entry) => [entry.id, entry.parentVersion])).toEqual([
        ['e2', v(7)],
        ['e3', v(5)],
      ]);
      expect((await store.meta()).lastSeq).toBe('12');
      await store.close();
    });

    it('moves a refused edit from the outbox to the rejected list in one change, and keeps the clock offset', async () => {
      const store = await open();
      await store.enqueue(edit('e1', 'a', null));
      await store.enqueue(edit('e2', 'b', null));
      const refused = {
        editId: 'e1',
        collection: 'tasks',
        id: 'a',
        local: { operation: 'upsert' as const, data: { id: 'e1' } },
        code: 'FORBIDDEN',
        error: 'Not allowed to push collection `tasks`',
      };
      await store.apply({ removeOutbox: ['e1'], reject: [refused], clockOffsetMs: -86_400_000 });
      expect((await store.outbox()).map((entry) => entry.id)).toEqual(['e2']);
      expect(await store.rejected()).toEqual([refused]);
      expect((await store.meta()).clockOffsetMs).toBe(-86_400_000);
      await store.apply({ forgetRejected: ['e1'] });
      expect(await store.rejected()).toEqual([]);
      await store.close();
    });

    it('replaces the documents in a full resync, readable meanwhile, and keeps the outbox', async () => {
      const store = await open();
      await store.apply({ documents: [doc('old', 1), doc('gone', 1, null)], lastSeq: '4' });
      await store.enqueue(edit('pending', 'old', v(1)));
      await store.beginResync();
      expect(await store.meta()).toMatchObject({
        lastSeq: '0',
        resyncing: true,
        resyncCursor: null,
      });
      await store.putResyncPage([doc('new-1', 9), doc('old', 0)], 'after-page-1');
      // Until it ends, a reader sees every document: the old ones and the pages stored so far.
      expect((await store.documents()).map((d) => d.docId).sort()).toEqual([
        'gone',
        'new-1',
        'old',
      ]);
      // The resync replaces even a later version: the server's state is what counts.
      expect((await store.documentsOf([{ collection: 'tasks', docId: 'old' }]))[0]?.version).toBe(
        v(0),
      );
      expect(await store.meta()).toMatchObject({ resyncing: true, resyncCursor: 'after-page-1' });
      const removed = await store.endResync('40', [doc('new-2', 9)]);
      expect(removed).toEqual([{ collection: 'tasks', docId: 'gone' }]);
      expect((await store.documents()).map((d) => d.docId).sort()).toEqual([
        'new-1',
        'new-2',
        'old',
      ]);
      expect((await store.outbox()).map((entry) => entry.id)).toEqual(['pending']);
      expect(await store.meta()).toMatchObject({
        lastSeq: '40',
        resyncing: false,
        resyncCursor: null,
      });
      await store.close();
    });
  });
}

describe('IndexedDB client across a restart', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('keeps unsent edits and synced documents when the app restarts, then pushes the edits', async () => {
    const jwt = await server.tenantToken();
    const first = await startClient(server, jwt, {
      store: await openIndexedDbStore({ name: 'restart' }),
    });
    await first.client.put('tasks', 'synced', { n: 1 });
    await eventually(() => expect(first.client.pendingCount()).toBe(0));
    first.network.down();
    await first.client.put('tasks', 'unsent', { n: 2 });
    const clientId = first.client.clientId;
    await first.client.close();

    const second = await startClient(server, jwt, {
      store: await openIndexedDbStore({ name: 'restart' }),
    });
    expect(second.client.clientId).toBe(clientId);
    expect(second.client.get('tasks', 'synced')).toMatchObject({ pending: false, data: { n: 1 } });
    expect(second.client.get('tasks', 'unsent')).toMatchObject({ pending: true, data: { n: 2 } });
    await eventually(() => expect(second.client.pendingCount()).toBe(0));
    expect(await serverState(server, jwt)).toEqual({
      'tasks/synced': { n: 1 },
      'tasks/unsent': { n: 2 },
    });
    await second.client.close();
  });
});
