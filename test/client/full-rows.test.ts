import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/client/index.js';
import { upsert } from '../server/helpers.js';
import { startClient, startTestServer, type TestServer } from './helpers.js';

/** A fetch that records each `/sync/full` request's `format`, optionally dropping it first. */
function recordingFull(dropFormat: boolean) {
  const formats: Array<string | null> = [];
  const fetchFull: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    if (url.pathname === '/sync/full') {
      formats.push(url.searchParams.get('format'));
      // A server from before `format` ignores it: it answers with object lines.
      if (dropFormat) url.searchParams.delete('format');
    }
    return fetch(url, init);
  };
  return { formats, fetch: fetchFull };
}

describe('full resync lines', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['asks for rows and stores them', false],
    ['still reads the object lines of a server that ignores `format`', true],
  ])('%s, across collections and tombstones', async (_title, dropFormat) => {
    const jwt = await server.tenantToken();
    const changes = [
      ...Array.from({ length: 5 }, (_, i) => upsert(`t${i}`, { n: i })),
      upsert('keep', { text: 'kept' }, { collection: 'notes' }),
      upsert('gone', { text: 'removed' }, { collection: 'notes' }),
    ];
    const pushed = (await (await server.push(jwt, { client_id: 'seed', changes })).json()) as {
      results: Array<{ doc_id: string; version: string }>;
    };
    const gone = pushed.results.find((result) => result.doc_id === 'gone')!;
    const removal = {
      collection: 'notes',
      operation: 'delete',
      doc_id: 'gone',
      parent_version: gone.version,
    };
    expect((await server.push(jwt, { client_id: 'seed', changes: [removal] })).status).toBe(200);

    const store = createMemoryStore();
    const recorder = recordingFull(dropFormat);
    const started = await startClient(server, jwt, {
      store,
      live: false,
      fetch: recorder.fetch,
      fullResyncPageSize: 3,
    });
    try {
      await started.client.sync();
      expect(recorder.formats.length).toBeGreaterThan(1);
      expect(new Set(recorder.formats)).toEqual(new Set(['rows']));
      expect(started.client.query('tasks').map((doc) => [doc.id, doc.data])).toEqual(
        Array.from({ length: 5 }, (_, i) => [`t${i}`, { n: i }]),
      );
      expect(started.client.query('notes').map((doc) => [doc.id, doc.data])).toEqual([
        ['keep', { text: 'kept' }],
      ]);
      const stored = await store.documents();
      expect(stored.find((doc) => doc.docId === 'gone')).toMatchObject({
        collection: 'notes',
        deleted: true,
        data: null,
      });
      expect(started.errors).toEqual([]);
    } finally {
      await started.client.close();
    }
  });
});
