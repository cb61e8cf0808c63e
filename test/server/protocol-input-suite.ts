import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../src/server/index.js';
import { openStream, type Running, startServer, token, upsert } from './helpers.js';

let tenants = 0;

function nested(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

function pushText(changes: string[], clientId = '"c"'): string {
  return `{"client_id":${clientId},"changes":[${changes.join(',')}]}`;
}

function upsertText(docId: string, data: string, id?: string): string {
  const idPart = id === undefined ? '' : `"id":${id},`;
  return `{${idPart}"collection":"tasks","operation":"upsert","doc_id":${docId},"data":${data}}`;
}

/** Hostile push bodies: a clear 400 naming the change, nothing stored. Once per store backend. */
export function describeInputProtocol(name: string, makeStore: () => Promise<DocumentStore>): void {
  describe(`sync protocol refusing hostile input on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;
    const extra: Running[] = [];

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store);
    });
    afterAll(async () => {
      await Promise.all(extra.map((server) => server.close()));
      await running.close();
      await store.close();
    });

    async function tenantToken() {
      tenants += 1;
      const tenant = `input-${tenants}-${Math.random().toString(36).slice(2, 8)}`;
      return { tenant, jwt: await token({ sub: 'alice', tenant }, { expiresIn: '1h' }) };
    }

    async function refused(jwt: string, body: string, message: RegExp): Promise<void> {
      const response = await running.push(jwt, body);
      const answer = (await response.json()) as { error?: { code: string; message: string } };
      expect({ status: response.status, code: answer.error?.code }).toEqual({
        status: 400,
        code: 'REQUEST_INVALID',
      });
      expect(answer.error!.message).toMatch(message);
    }

    /** What a tenant's documents are now (nothing stored shows as an empty list). */
    async function storedIds(tenant: string): Promise<string[]> {
      const ids: string[] = [];
      const snapshot = await store.openSnapshot({
        scope: tenant,
        collections: ['tasks'],
        after: null,
        limit: null,
        pageSize: 100,
      });
      try {
        for await (const page of snapshot.pages()) for (const doc of page) ids.push(doc.docId);
      } finally {
        await snapshot.close();
      }
      return ids;
    }

    it('refuses data nested deeper than 100 levels with a 400 naming the change, with or without an id', async () => {
      const { tenant, jwt } = await tenantToken();
      for (const levels of [101, 250, 5000]) {
        for (const id of [undefined, '"ch-1"']) {
          await refused(
            jwt,
            pushText([upsertText('"ok"', '{}'), upsertText('"deep"', nested(levels), id)]),
            /`changes\[1\]\.data` must not nest deeper than 100 levels/,
          );
        }
      }
      expect(await storedIds(tenant)).toEqual([]);
      const accepted = await running.push(jwt, pushText([upsertText('"deep"', nested(100))]));
      expect(accepted.status).toBe(200);
      const openapi = (await (await running.request('/openapi.json')).json()) as {
        components: { schemas: { Change: { properties: { data: { description: string } } } } };
      };
      expect(openapi.components.schemas.Change.properties.data.description).toMatch(
        /at most 100 levels deep/,
      );
    });

    it('refuses ids holding a lone UTF-16 surrogate, and keeps a paired one as sent', async () => {
      const { tenant, jwt } = await tenantToken();
      const lone = '"x\\ud800"';
      await refused(
        jwt,
        pushText([upsertText(lone, '{}')]),
        /`changes\[0\]\.doc_id` must be well-formed Unicode/,
      );
      await refused(
        jwt,
        pushText([upsertText('"a"', '{}', lone)]),
        /`changes\[0\]\.id` must be well-formed Unicode/,
      );
      await refused(
        jwt,
        pushText([upsertText('"a"', '{}')], '"dev\\udc00"'),
        /`client_id` must be well-formed Unicode/,
      );
      expect(await storedIds(tenant)).toEqual([]);
      const emoji = 'x\u{1F600}';
      const response = await running.push(
        jwt,
        pushText([upsertText(JSON.stringify(emoji), '{"v":1}')]),
      );
      expect(response.status).toBe(200);
      expect(await store.getDocument(tenant, 'tasks', emoji)).toMatchObject({ data: '{"v":1}' });
    });

    it('stores a `__proto__` key of the data as sent, never acknowledging what it dropped', async () => {
      const { tenant, jwt } = await tenantToken();
      const data = '{"__proto__":{"admin":true},"title":"t"}';
      const since = String(await store.lastSeq(tenant));
      const response = await running.push(jwt, pushText([upsertText('"p"', data)]));
      expect(response.status).toBe(200);
      const stored = await store.getDocument(tenant, 'tasks', 'p');
      expect(stored?.data).toBe(data);
      const pulled = (await (await running.pull(jwt, { since })).json()) as {
        changes: Array<{ data: object }>;
      };
      const read = pulled.changes[0]!.data;
      expect(Object.keys(read)).toEqual(['__proto__', 'title']);
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    });

    it('rejects the change in an unknown or forbidden collection and applies the rest, unless atomic', async () => {
      const guarded = await startServer(store, {
        authorize: ({ user, collection, operation }) =>
          !(collection === 'notes' && (operation === 'push' || user.claims.role !== 'admin')),
      });
      extra.push(guarded);
      const { tenant, jwt } = await tenantToken();
      const response = await guarded.push(jwt, {
        client_id: 'c',
        changes: [
          upsert('t', {}),
          { ...upsert('n', {}), collection: 'notes' },
          { ...upsert('s', {}), collection: 'secrets' },
        ],
      });
      expect(response.status).toBe(200);
      const { results } = (await response.json()) as {
        results: Array<{ doc_id: string; status: string; code?: string; error?: string }>;
      };
      expect(results.map((result) => [result.doc_id, result.status, result.code])).toEqual([
        ['t', 'accepted', undefined],
        ['n', 'rejected', 'FORBIDDEN'],
        ['s', 'rejected', 'COLLECTION_UNKNOWN'],
      ]);
      expect(results[1]!.error).toBe('Not allowed to push collection `notes`');
      expect(await storedIds(tenant)).toEqual(['t']);

      const atomic = await guarded.push(jwt, {
        client_id: 'c',
        atomic: true,
        changes: [upsert('t2', {}), { ...upsert('n2', {}), collection: 'notes' }],
      });
      const atomicResults = ((await atomic.json()) as { results: Array<{ code?: string }> })
        .results;
      expect(atomicResults.map((result) => result.code)).toEqual(['BATCH_ABORTED', 'FORBIDDEN']);
      expect(await storedIds(tenant)).toEqual(['t']);
      expect((await guarded.pull(jwt, { collections: 'notes' })).status).toBe(403);
      expect((await guarded.pull(jwt, { collections: 'tasks' })).status).toBe(200);
    });

    it('takes parent_version "" on a first write as none', async () => {
      const { tenant, jwt } = await tenantToken();
      const response = await running.push(jwt, {
        client_id: 'c',
        changes: [upsert('first', { v: 1 }, { parent_version: '' })],
      });
      expect(response.status).toBe(200);
      expect(
        ((await response.json()) as { results: Array<{ status: string }> }).results,
      ).toMatchObject([{ status: 'accepted' }]);
      expect(await storedIds(tenant)).toEqual(['first']);
    });

    it("answers a cursor in the reference server's version format with a full resync, not a 400", async () => {
      const { jwt } = await tenantToken();
      for (const since of ['20260502T120000.000Z-0001', '20260502T120000.000Z-0001-a3f2']) {
        const response = await running.pull(jwt, { since, collections: 'tasks' });
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          full_resync_required: true,
          collections: ['tasks'],
          reason: 'foreign_version',
        });
      }
      const stream = await openStream(running.url);
      stream.send({
        type: 'subscribe',
        token: jwt,
        since: '20260502T120000.000Z-0001',
        collections: ['tasks'],
      });
      expect(await stream.next((message) => message.type === 'full_resync_required')).toMatchObject(
        { reason: 'foreign_version' },
      );
      expect((await stream.closed).code).toBe(4000);
      expect((await running.pull(jwt, { since: '20260502T120000Z' })).status).toBe(400);
    });
  });
}
