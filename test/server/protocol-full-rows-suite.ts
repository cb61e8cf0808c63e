import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../src/server/index.js';
import { encodeCollectionLine, encodeDocumentRow } from '../../src/server/wire.js';
import { ndjsonLines as lines, serveForSuite, token, upsert } from './helpers.js';

/** `/sync/full?format=rows`: a line naming the collection, then one array per document. */
export function describeFullRowsProtocol(
  name: string,
  makeStore: () => Promise<DocumentStore>,
): void {
  describe(`sync full resync rows format on ${name}`, () => {
    const suite = serveForSuite(makeStore, {
      server: { fullResyncPageSize: 2 },
      tenantPrefix: 'rows',
      seed: async (running, jwt) => {
        const changes = [
          ...Array.from({ length: 4 }, (_, i) => upsert(`d${i}`, { v: i, s: `é"\n${i}` })),
          upsert('n0', { text: 'note' }, { collection: 'notes' }),
          upsert('n1', { text: 'gone' }, { collection: 'notes' }),
        ];
        expect((await running.push(jwt, { client_id: 'c', changes })).status).toBe(200);
        const pulled = (await (await running.pull(jwt, { since: '0' })).json()) as {
          changes: Array<{ doc_id: string; version: string }>;
        };
        const n1 = pulled.changes.find((change) => change.doc_id === 'n1')!;
        const removal = {
          collection: 'notes',
          operation: 'delete',
          doc_id: 'n1',
          parent_version: n1.version,
        };
        expect((await running.push(jwt, { client_id: 'c', changes: [removal] })).status).toBe(200);
      },
    });

    const full = (query: Record<string, string>, headers: Record<string, string> = {}) =>
      suite.running.request(`/sync/full?${new URLSearchParams(query)}`, {
        token: suite.jwt,
        headers,
      });

    it('sends [doc_id, version, deleted, data, actor_id] rows after a line naming their collection', async () => {
      const objects = lines(
        await (await full({ collections: 'notes,tasks', end_marker: 'true' })).text(),
      ) as Array<Record<string, unknown>>;
      const response = await full({
        collections: 'notes,tasks',
        end_marker: 'true',
        format: 'rows',
      });
      expect(response.headers.get('content-type')).toBe('application/x-ndjson');
      const rows = lines(await response.text());
      // The same documents as the object lines, in the same order, carrying the same fields.
      const expected: unknown[] = [];
      let collection: unknown = null;
      for (const line of objects.slice(0, -1)) {
        if (line.collection !== collection) {
          collection = line.collection;
          expected.push({ type: 'collection', collection });
        }
        expected.push([line.doc_id, line.version, line.deleted, line.data, line.actor_id]);
      }
      expected.push({ type: 'end', count: 6 });
      expect(rows).toEqual(expected);
      expect(rows.slice(0, 4)).toEqual([
        { type: 'collection', collection: 'notes' },
        ['n0', expect.any(String), false, { text: 'note' }, 'u'],
        ['n1', expect.any(String), true, null, 'u'],
        { type: 'collection', collection: 'tasks' },
      ]);
      expect(rows[4]).toEqual(['d0', expect.any(String), false, { v: 0, s: 'é"\n0' }, 'u']);
    });

    it('sends, byte for byte, the rows the server encodes from the stored documents (escapes, UTF-8, tombstones)', async () => {
      const tenant = `rows-exact-${Math.random().toString(36).slice(2, 8)}`;
      const oddJwt = await token({ sub: 'act"or\\é\u0001😀', tenant }, { expiresIn: '1h' });
      const ids = ['plain', 'q"uote\\back', 'é😀\u2028', 'ctl\u0001\t\n', 'gone'];
      const changes = [
        ...ids.map((id, i) => upsert(id, { i, s: `\u0000"\\/\u2028é😀${id}`, n: [1.5e300, -0] })),
        upsert('other', { text: 'x' }, { collection: 'notes' }),
      ];
      const pushed = await suite.running.push(oddJwt, { client_id: 'c', changes });
      expect(pushed.status).toBe(200);
      const { results } = (await pushed.json()) as {
        results: Array<{ doc_id: string; new_version: string }>;
      };
      const gone = results.find((result) => result.doc_id === 'gone')!;
      const removal = { operation: 'delete', doc_id: 'gone', parent_version: gone.new_version };
      const removed = await suite.running.push(oddJwt, {
        client_id: 'c',
        changes: [{ collection: 'tasks', ...removal }],
      });
      expect(removed.status).toBe(200);

      const snapshot = await suite.store.openSnapshot({
        scope: tenant,
        collections: ['notes', 'tasks'],
        after: null,
        limit: null,
        pageSize: 2,
      });
      let expected = '';
      try {
        let collection: string | null = null;
        for await (const docs of snapshot.pages()) {
          for (const doc of docs) {
            if (doc.collection !== collection) {
              collection = doc.collection;
              expected += encodeCollectionLine(collection);
            }
            expected += encodeDocumentRow(doc);
          }
        }
      } finally {
        await snapshot.close();
      }
      expect(expected.split('\n')).toHaveLength(changes.length + 3);
      const response = await suite.running.request(
        '/sync/full?collections=notes,tasks&format=rows&end_marker=true',
        { token: oddJwt },
      );
      expect(await response.text()).toBe(`${expected}{"type":"end","count":${changes.length}}\n`);
    });

    it('names the collection again at the start of every page, gzipped or not', async () => {
      const pages: unknown[][] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string> = {
          collections: 'notes,tasks',
          limit: '3',
          end_marker: 'true',
          format: 'rows',
        };
        if (cursor) query.cursor = cursor;
        const response = await full(query, { 'accept-encoding': 'gzip' });
        expect(response.headers.get('content-encoding')).toBe('gzip');
        cursor = response.headers.get('x-sync-cursor');
        const bytes = Buffer.from(await response.arrayBuffer());
        // fetch may or may not have decoded it already.
        const text =
          bytes[0] === 0x1f ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
        pages.push(lines(text));
      } while (cursor);
      expect(pages.map((page) => page.map((row) => (Array.isArray(row) ? row[0] : row)))).toEqual([
        [
          { type: 'collection', collection: 'notes' },
          'n0',
          'n1',
          { type: 'collection', collection: 'tasks' },
          'd0',
          { type: 'end', count: 3 },
        ],
        [{ type: 'collection', collection: 'tasks' }, 'd1', 'd2', 'd3', { type: 'end', count: 3 }],
      ]);
    });

    it('sends object lines for format=objects and without format, and refuses other formats', async () => {
      const plain = await (await full({ collections: 'tasks' })).text();
      expect(await (await full({ collections: 'tasks', format: 'objects' })).text()).toBe(plain);
      expect(lines(plain)[0]).toMatchObject({ collection: 'tasks', doc_id: 'd0' });

      const refused = await full({ collections: 'tasks', format: 'arrays' });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        error: { code: 'REQUEST_INVALID', message: expect.stringContaining('`format`') },
      });
    });
  });
}
