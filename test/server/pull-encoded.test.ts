import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSyncServer,
  type DocumentStore,
  openPostgresDocumentStore,
  type SyncServer,
} from '../../src/server/index.js';
import type { PullQuery } from '../../src/server/store/types.js';
import { encodeChange } from '../../src/server/wire.js';
import { freshDatabase } from '../support/postgres.js';
import { SECRET, sqliteStore } from './helpers.js';

const PLAIN_IDS = ['a', 'quote"d', 'back\\slash', 'ünï€😀', 'line\u2028sep', '/slash'];
const CONTROL_IDS = ['tab\there', 'new\nline', 'bell\u0007'];

const database = freshDatabase('pullencoded');
afterAll(() => database.drop());

const stores: Array<{ label: string; open: () => Promise<DocumentStore> }> = [
  { label: 'SQLite', open: async () => sqliteStore() },
  {
    label: 'PostgreSQL',
    open: async () => openPostgresDocumentStore({ connectionString: await database.url() }),
  },
];

describe.each(stores)('the $label store encodes pull pages in the database', ({ open }) => {
  let store: DocumentStore;
  let server: SyncServer;

  beforeAll(async () => {
    store = await open();
    server = await createSyncServer({
      store,
      auth: { secret: SECRET, scopeClaim: 'tenant' },
      collections: ['tasks', 'notes'],
      pruneIntervalMs: 0,
      pollIntervalMs: 0,
    });
    const write = (scope: string, ids: string[]) =>
      server.write({
        scope,
        clientId: 'client "one"',
        actor: 'actor\\één',
        changes: ids.map((id, index) => ({
          collection: index % 2 === 0 ? 'tasks' : 'notes',
          operation: 'upsert' as const,
          doc_id: id,
          data: { title: `"${id}"`, n: index, nested: { list: [1.5, null, true, '€'] } },
        })),
      });
    await write('plain', PLAIN_IDS);
    await server.write({
      scope: 'plain',
      changes: [{ collection: 'tasks', operation: 'delete', doc_id: 'a' }],
    });
    await write('control', [...PLAIN_IDS, ...CONTROL_IDS]);
  });

  afterAll(async () => {
    await server.close();
    await store.close();
  });

  function queries(scope: string, top: number): PullQuery[] {
    const found: PullQuery[] = [];
    for (const collections of [null, ['notes'], ['tasks', 'notes'], ['none']]) {
      for (let afterSeq = 0; afterSeq <= top + 1; afterSeq++) {
        for (const limit of [1, 3, 500]) found.push({ scope, afterSeq, collections, limit });
      }
    }
    return found;
  }

  async function bothPages(query: PullQuery) {
    const page = await store.pull(query);
    const encoded = await store.pullEncoded!(query);
    return {
      expected: {
        text: page.entries.map((entry) => encodeChange(entry)).join(','),
        count: page.entries.length,
        lastSeq: page.lastSeq,
        hasMore: page.hasMore,
      },
      encoded: {
        text: encoded.changes,
        count: encoded.count,
        lastSeq: encoded.lastSeq,
        hasMore: encoded.hasMore,
      },
    };
  }

  it('byte for byte as encodeChange writes them, with the same cursor, filtered or not', async () => {
    const top = await store.lastSeq('plain');
    expect(top).toBe(PLAIN_IDS.length + 1);
    for (const query of queries('plain', top)) {
      const { expected, encoded } = await bothPages(query);
      expect(encoded, JSON.stringify(query)).toEqual(expected);
    }
  });

  it('as the same JSON values when ids hold control characters (escaped another way)', async () => {
    const top = await store.lastSeq('control');
    for (const query of queries('control', top)) {
      const { expected, encoded } = await bothPages(query);
      expect(JSON.parse(`[${encoded.text}]`)).toEqual(JSON.parse(`[${expected.text}]`));
      expect({ ...encoded, text: '' }).toEqual({ ...expected, text: '' });
    }
  });

  it('as an empty page of a scope that has no entries', async () => {
    const encoded = await store.pullEncoded!({
      scope: 'nobody',
      afterSeq: 0,
      collections: null,
      limit: 500,
    });
    expect(encoded).toEqual({
      changes: '',
      count: 0,
      lastSeq: 0,
      hasMore: false,
    });
  });
});
