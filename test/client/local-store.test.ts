import 'fake-indexeddb/auto';
import { openDB } from 'idb';
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

    it('merges later changes over a resync, across a restart, and a second resync replaces both', async () => {
      let store = await open();
      await store.beginResync();
      await store.putResyncPage([doc('a', 5), doc('b', 5)]);
      await store.putResyncPage([doc('c', 5)], 'after-page-1');
      expect(await store.endResync('20', [doc('d', 5), doc('e', 5)])).toEqual([]);
      // Pulls after it: a newer a, b deleted, an older c (kept out), a new f.
      await store.apply({
        documents: [doc('a', 8, { n: 'later' }), doc('b', 9, null), doc('c', 2), doc('f', 8)],
        lastSeq: '25',
      });
      const expected = [
        ['a', { n: 'later' }],
        ['b', null],
        ['c', { n: 5 }],
        ['d', { n: 5 }],
        ['e', { n: 5 }],
        ['f', { n: 8 }],
      ];
      const read = async () => (await store.documents()).map((d) => [d.docId, d.data]).sort();
      expect(await read()).toEqual(expected);
      if (store.kind === 'indexeddb') {
        const name = store.name;
        await store.close();
        store = await openIndexedDbStore({ name });
        expect(await read()).toEqual(expected);
      }
      const keys = ['a', 'b', 'c', 'f', 'missing'].map((docId) => ({ collection: 'tasks', docId }));
      expect((await store.documentsOf(keys)).map((d) => [d.docId, d.version])).toEqual([
        ['a', v(8)],
        ['b', v(9)],
        ['c', v(5)],
        ['f', v(8)],
      ]);

      // Again, over both layers: what it sends wins even when older; what it does not, goes.
      await store.beginResync();
      await store.putResyncPage([doc('a', 1, { n: 'server' })], 'after-page-1');
      const during = await store.documentsOf([{ collection: 'tasks', docId: 'a' }]);
      expect(during.map((d) => d.data)).toEqual([{ n: 'server' }]);
      expect((await store.documents()).length).toBe(6);
      const removed = await store.endResync('30', [doc('c', 6), doc('g', 6)]);
      expect(removed.map((key) => key.docId).sort()).toEqual(['b', 'd', 'e', 'f']);
      expect(await read()).toEqual([
        ['a', { n: 'server' }],
        ['c', { n: 6 }],
        ['g', { n: 6 }],
      ]);
      expect((await store.documentsOf(keys)).map((d) => d.docId)).toEqual(['a', 'c']);
      await store.close();
    });

    it('keeps the copy a fresh resync sent last, and reads of it compare versions', async () => {
      const store = await open();
      await store.beginResync();
      await store.putResyncPage([doc('a', 5), doc('b', 5)]);
      // The next page sends a again, older: what a resync sends last wins.
      await store.putResyncPage([doc('a', 3, { n: 'resent' }), doc('c', 5)], 'after-page-1');
      const keys = ['a', 'b', 'c'].map((docId) => ({ collection: 'tasks', docId }));
      expect((await store.documentsOf(keys)).map((d) => [d.docId, d.version])).toEqual([
        ['a', v(3)],
        ['b', v(5)],
        ['c', v(5)],
      ]);
      expect(await store.endResync('7', [doc('d', 5)])).toEqual([]);
      await store.apply({ documents: [doc('a', 2), doc('b', 6), doc('d', 1)], lastSeq: '8' });
      expect((await store.documents()).map((d) => [d.docId, d.version]).sort()).toEqual([
        ['a', v(3)],
        ['b', v(6)],
        ['c', v(5)],
        ['d', v(5)],
      ]);
      await store.close();
    });

    it('resumes an interrupted resync from its last stored page', async () => {
      const store = await open();
      await store.apply({ documents: [doc('old', 1)], lastSeq: '4' });
      await store.beginResync();
      await store.putResyncPage([doc('p1', 2)], 'after-page-1');
      // Half of page 2 arrives, then the tab goes: it starts again at page 2.
      await store.putResyncPage([doc('p2-half', 2)]);
      const resumed = store.kind === 'indexeddb' ? await reopen(store) : store;
      expect(await resumed.meta()).toMatchObject({ resyncing: true, resyncCursor: 'after-page-1' });
      expect((await resumed.documents()).map((d) => d.docId)).toContain('old');
      await resumed.putResyncPage([doc('p2-half', 3)]);
      expect(await resumed.endResync('9', [doc('p2-rest', 3)])).toEqual([
        { collection: 'tasks', docId: 'old' },
      ]);
      expect((await resumed.documents()).map((d) => [d.docId, d.version]).sort()).toEqual([
        ['p1', v(2)],
        ['p2-half', v(3)],
        ['p2-rest', v(3)],
      ]);
      await resumed.close();
    });
  });
}

async function reopen(store: LocalStore): Promise<LocalStore> {
  await store.close();
  return openIndexedDbStore({ name: store.name });
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

/** A database as the store of schema v3 left it: one record per document. */
async function writeV3Database(
  name: string,
  content: { documents: BaseDocument[]; meta: Record<string, unknown>; stale?: string[] },
): Promise<void> {
  const db = await openDB(name, 3, {
    upgrade(database) {
      database.createObjectStore('documents', { keyPath: ['collection', 'docId'] });
      const outbox = database.createObjectStore('outbox', {
        keyPath: 'order',
        autoIncrement: true,
      });
      outbox.createIndex('id', 'id', { unique: true });
      database.createObjectStore('meta');
      const rejected = database.createObjectStore('rejected', {
        keyPath: 'order',
        autoIncrement: true,
      });
      rejected.createIndex('editId', 'editId', { unique: true });
      database.createObjectStore('stale');
    },
  });
  const tx = db.transaction(['documents', 'outbox', 'meta', 'stale'], 'readwrite');
  for (const stored of content.documents) await tx.objectStore('documents').put(stored);
  await tx.objectStore('outbox').add(edit('queued', 'a', v(1)));
  for (const [key, value] of Object.entries(content.meta))
    await tx.objectStore('meta').put(value, key);
  for (const docId of content.stale ?? [])
    await tx.objectStore('stale').put(true, ['tasks', docId]);
  await tx.done;
  db.close();
}

describe('IndexedDB store opening a database of schema v3', () => {
  it('reads its documents, outbox and cursor, and its next resync replaces them', async () => {
    await writeV3Database('v3-synced', {
      documents: [doc('a', 1), doc('b', 1), doc('tomb', 1, null)],
      meta: { lastSeq: '7', clientId: 'device-1' },
    });
    const store = await openIndexedDbStore({ name: 'v3-synced' });
    expect(await store.meta()).toMatchObject({
      lastSeq: '7',
      clientId: 'device-1',
      resyncing: false,
    });
    expect((await store.outbox()).map((entry) => entry.id)).toEqual(['queued']);
    expect((await store.documents()).map((d) => [d.docId, d.version])).toEqual([
      ['a', v(1)],
      ['b', v(1)],
      ['tomb', v(1)],
    ]);
    await store.apply({ documents: [doc('a', 3)], lastSeq: '8' });
    await store.beginResync();
    await store.putResyncPage([doc('a', 2), doc('c', 2)], 'after-page-1');
    expect((await store.endResync('12')).map((key) => key.docId).sort()).toEqual(['b', 'tomb']);
    expect((await store.documents()).map((d) => [d.docId, d.version])).toEqual([
      ['a', v(2)],
      ['c', v(2)],
    ]);
    await store.close();
  });

  it('finishes a resync that a store of v3 began', async () => {
    // v3 stored page 1 (a, as records) and was marking b as not yet sent again.
    await writeV3Database('v3-resyncing', {
      documents: [doc('a', 2), doc('b', 1)],
      meta: { lastSeq: '0', resyncing: true, resyncCursor: 'after-page-1', resyncSweeps: true },
      stale: ['b'],
    });
    const store = await openIndexedDbStore({ name: 'v3-resyncing' });
    expect(await store.meta()).toMatchObject({ resyncing: true, resyncCursor: 'after-page-1' });
    expect((await store.documents()).map((d) => d.docId)).toEqual(['a', 'b']);
    expect(await store.endResync('15', [doc('c', 2)])).toEqual([
      { collection: 'tasks', docId: 'b' },
    ]);
    expect((await store.documents()).map((d) => d.docId).sort()).toEqual(['a', 'c']);
    expect(await store.meta()).toMatchObject({ lastSeq: '15', resyncing: false });
    await store.close();
  });
});
