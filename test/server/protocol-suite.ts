import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictRejection,
  type DocumentStore,
  type SyncServerOptions,
} from '../../src/server/index.js';
import { openStream, type Running, startServer, token, upsert } from './helpers.js';

export type MakeStore = () => Promise<DocumentStore>;

interface PushResult {
  doc_id: string;
  status: string;
  new_version?: string;
  code?: string;
  error?: string;
  document?: { data: unknown; deleted: boolean; version: string };
  replayed?: boolean;
}

async function results(response: Response): Promise<PushResult[]> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: PushResult[] }).results;
}

let tenants = 0;
function freshTenant(): string {
  tenants += 1;
  return `t${tenants}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The sync protocol against a real server on loopback; run once per store backend. */
export function describeSyncProtocol(name: string, makeStore: MakeStore): void {
  describe(`sync protocol on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;
    const extra: Running[] = [];

    async function serverWith(options: Partial<SyncServerOptions>): Promise<Running> {
      const started = await startServer(store, options);
      extra.push(started);
      return started;
    }

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store, {
        collections: {
          tasks: {},
          notes: { deletePolicy: 'reject_update' },
          projects: { deletePolicy: 'delete_wins' },
          merged: {
            resolver: ({ current, incoming }) => {
              if (incoming.data?.forbidden) throw new ConflictRejection('forbidden edit', 'NOPE');
              return { action: 'merge', data: { ...current.data, ...incoming.data } };
            },
          },
        },
      });
    });

    afterAll(async () => {
      await Promise.all(extra.map((server) => server.close()));
      await running.close();
      await store.close();
    });

    async function user(tenant = freshTenant(), sub = 'alice') {
      return { tenant, jwt: await token({ sub, tenant }, { expiresIn: '1h' }) };
    }

    it('accepts a push and serves it to a pull, in order, then nothing after last_seq', async () => {
      const { jwt } = await user();
      const pushed = await results(
        await running.push(jwt, {
          client_id: 'dev-1',
          changes: [upsert('a', { title: 'A' }), upsert('b', { title: 'B' })],
        }),
      );
      expect(pushed.map((result) => result.status)).toEqual(['accepted', 'accepted']);
      expect(pushed[0]!.new_version! < pushed[1]!.new_version!).toBe(true);

      const first = (await (await running.pull(jwt, { since: '0' })).json()) as {
        changes: Array<Record<string, unknown>>;
        last_seq: string;
      };
      expect(first.changes.map((change) => [change.doc_id, change.operation, change.data])).toEqual(
        [
          ['a', 'upsert', { title: 'A' }],
          ['b', 'upsert', { title: 'B' }],
        ],
      );
      expect(first.changes[0]!.version).toBe(pushed[0]!.new_version);
      expect(first.changes[0]!.client_id).toBe('dev-1');
      const again = (await (await running.pull(jwt, { since: first.last_seq })).json()) as {
        changes: unknown[];
        last_seq: string;
      };
      expect(again.changes).toEqual([]);
      expect(again.last_seq).toBe(first.last_seq);
    });

    it('stores a push that writes one document twice and deletes another: every entry in the log, the last state in the document', async () => {
      const { jwt } = await user();
      const [created] = await results(
        await running.push(jwt, { client_id: 'dev-1', changes: [upsert('gone', { n: 0 })] }),
      );
      // Strings the wire and the store must keep byte for byte: quotes, backslashes, a NUL,
      // a lone surrogate, astral characters, a key that needs escaping.
      const tricky = {
        quote: 'say "hi" \\ back\\slash',
        nul: 'a\u0000b',
        lone: 'x\ud800y',
        astral: '😀 é',
        nested: { 'k"ey': ['\n\t', null, 1.5] },
      };
      const pushed = await results(
        await running.push(jwt, {
          client_id: 'dev-1',
          changes: [
            upsert('twice', { n: 1 }),
            upsert('tricky', tricky),
            upsert('twice', { n: 2 }),
            {
              collection: 'tasks',
              operation: 'delete',
              doc_id: 'gone',
              parent_version: created!.new_version,
            },
          ],
        }),
      );
      expect(pushed.map((result) => result.status)).not.toContain('rejected');
      const log = (await (await running.pull(jwt, { since: '0' })).json()) as {
        changes: Array<{ doc_id: string; operation: string; data: unknown; version: string }>;
      };
      expect(log.changes.map((change) => [change.doc_id, change.operation, change.data])).toEqual([
        ['gone', 'upsert', { n: 0 }],
        ['twice', 'upsert', { n: 1 }],
        ['tricky', 'upsert', tricky],
        ['twice', 'upsert', { n: 2 }],
        ['gone', 'delete', null],
      ]);
      const whole = await running.request('/sync/full?collections=tasks', { token: jwt });
      const documents = (await whole.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((line) => typeof line.doc_id === 'string');
      expect(documents.map((doc) => [doc.doc_id, doc.deleted, doc.data, doc.version])).toEqual([
        ['gone', true, null, log.changes[4]!.version],
        ['tricky', false, tricky, log.changes[2]!.version],
        ['twice', false, { n: 2 }, log.changes[3]!.version],
      ]);
    });

    it('pages a pull with limit and has_more, and filters by collection', async () => {
      const { jwt } = await user();
      const changes = Array.from({ length: 25 }, (_, index) => ({
        ...upsert(`d${index}`, { n: index }),
        collection: index % 2 === 0 ? 'tasks' : 'notes',
      }));
      await results(await running.push(jwt, { client_id: 'c', changes }));
      const seen: number[] = [];
      let since = '0';
      for (let guard = 0; guard < 10; guard++) {
        const page = (await (
          await running.pull(jwt, { since, limit: '5', collections: 'tasks' })
        ).json()) as {
          changes: Array<{ seq: number; data: { n: number }; collection: string }>;
          last_seq: string;
          has_more: boolean;
        };
        for (const change of page.changes) {
          expect(change.collection).toBe('tasks');
          seen.push(change.data.n);
        }
        since = page.last_seq;
        if (!page.has_more) break;
      }
      expect(seen).toEqual(Array.from({ length: 13 }, (_, index) => index * 2));
    });

    it('accepts an HLC version as `since` (the PRD contract)', async () => {
      const { jwt } = await user();
      const pushed = await results(
        await running.push(jwt, {
          client_id: 'c',
          changes: [upsert('x', { n: 1 }), upsert('y', { n: 2 })],
        }),
      );
      const page = (await (await running.pull(jwt, { since: pushed[0]!.new_version! })).json()) as {
        changes: Array<{ doc_id: string }>;
      };
      expect(page.changes.map((change) => change.doc_id)).toEqual(['y']);
    });

    it('takes the fast path when parent_version matches and resolves conflicts by last writer (HLC)', async () => {
      const { jwt } = await user();
      const [created] = await results(
        await running.push(jwt, { client_id: 'a', changes: [upsert('doc', { v: 0 })] }),
      );
      const base = created!.new_version!;
      const [fast] = await results(
        await running.push(jwt, {
          client_id: 'a',
          changes: [upsert('doc', { v: 1 }, { parent_version: base })],
        }),
      );
      expect(fast!.status).toBe('accepted');

      // An edit made on another device before the fast-path one (older HLC): the stored one wins.
      const older = `${String(Number(base.slice(0, 15)) - 1000).padStart(15, '0')}-000000-devb`;
      const [lost] = await results(
        await running.push(jwt, {
          client_id: 'b',
          changes: [upsert('doc', { v: 'b' }, { parent_version: base, hlc: older })],
        }),
      );
      expect(lost).toMatchObject({ status: 'conflict_resolved', new_version: fast!.new_version });
      expect(lost!.document).toEqual({
        data: { v: 1 },
        deleted: false,
        version: fast!.new_version,
      });

      // A later edit (no client clock: arrival time) wins.
      const [won] = await results(
        await running.push(jwt, {
          client_id: 'c',
          changes: [upsert('doc', { v: 'c' }, { parent_version: base })],
        }),
      );
      expect(won!.status).toBe('conflict_resolved');
      expect(won!.new_version! > fast!.new_version!).toBe(true);
      const doc = await store.getDocument((await user()).tenant, 'tasks', 'doc');
      expect(doc).toBeNull();
    });

    it('resolves last-writer-wins by edit time, not by the time a write arrived', async () => {
      const { jwt, tenant } = await user();
      const at = (ms: number, node: string) => `${String(ms).padStart(15, '0')}-000000-${node}`;
      const now = Date.now();
      // Both edits were made offline on the same base, A's (T1) before B's (T2), and both
      // before either reached the server, so each arrival version is later than both.
      const [t0, t1, t2] = [at(now - 3000, 'devz'), at(now - 2000, 'deva'), at(now - 1000, 'devb')];
      const created = await results(
        await running.push(jwt, {
          client_id: 'z',
          changes: [upsert('d1', { v: 0 }, { hlc: t0 }), upsert('d2', { v: 0 }, { hlc: t0 })],
        }),
      );
      const base = (index: number) => created[index]!.new_version!;

      // B's later edit arrives first; A's older edit then loses.
      const [b1] = await results(
        await running.push(jwt, {
          client_id: 'b',
          changes: [upsert('d1', { v: 'b' }, { parent_version: base(0), hlc: t2 })],
        }),
      );
      expect(b1!.status).toBe('accepted');
      const [a1] = await results(
        await running.push(jwt, {
          client_id: 'a',
          changes: [upsert('d1', { v: 'a' }, { parent_version: base(0), hlc: t1 })],
        }),
      );
      expect(a1).toMatchObject({ status: 'conflict_resolved', new_version: b1!.new_version });
      expect(a1!.document).toEqual({ data: { v: 'b' }, deleted: false, version: b1!.new_version });

      // A's older edit arrives first; B's later edit still wins, though it arrives after.
      const [a2] = await results(
        await running.push(jwt, {
          client_id: 'a',
          changes: [upsert('d2', { v: 'a' }, { parent_version: base(1), hlc: t1 })],
        }),
      );
      expect(a2!.status).toBe('accepted');
      const [b2] = await results(
        await running.push(jwt, {
          client_id: 'b',
          changes: [upsert('d2', { v: 'b' }, { parent_version: base(1), hlc: t2 })],
        }),
      );
      expect(b2!.status).toBe('conflict_resolved');
      expect(b2!.new_version! > a2!.new_version!).toBe(true);
      expect(b2!.document).toBeUndefined();
      expect(await store.getDocument(tenant, 'tasks', 'd2')).toMatchObject({
        data: '{"v":"b"}',
        version: b2!.new_version,
        editVersion: t2,
      });
    });

    it('runs a custom resolver that merges, and one that rejects', async () => {
      const { jwt, tenant } = await user();
      const [created] = await results(
        await running.push(jwt, {
          client_id: 'a',
          changes: [{ ...upsert('m', { a: 1 }), collection: 'merged' }],
        }),
      );
      await results(
        await running.push(jwt, {
          client_id: 'a',
          changes: [
            {
              ...upsert('m', { a: 2 }),
              collection: 'merged',
              parent_version: created!.new_version,
            },
          ],
        }),
      );
      const [merged] = await results(
        await running.push(jwt, {
          client_id: 'b',
          changes: [
            {
              ...upsert('m', { b: 3 }),
              collection: 'merged',
              parent_version: created!.new_version,
            },
          ],
        }),
      );
      expect(merged!.status).toBe('conflict_resolved');
      expect(merged!.document!.data).toEqual({ a: 2, b: 3 });
      expect(JSON.parse((await store.getDocument(tenant, 'merged', 'm'))!.data!)).toEqual({
        a: 2,
        b: 3,
      });

      const [rejected] = await results(
        await running.push(jwt, {
          client_id: 'b',
          changes: [
            {
              ...upsert('m', { forbidden: true }),
              collection: 'merged',
              parent_version: created!.new_version,
            },
          ],
        }),
      );
      expect(rejected).toMatchObject({ status: 'rejected', code: 'NOPE', error: 'forbidden edit' });
      expect(JSON.parse((await store.getDocument(tenant, 'merged', 'm'))!.data!)).toEqual({
        a: 2,
        b: 3,
      });
    });

    it.each([
      ['tasks', 'resurrect_on_update', 'conflict_resolved', false],
      ['notes', 'reject_update', 'rejected', true],
      ['projects', 'delete_wins', 'conflict_resolved', true],
    ])(
      'applies the delete policy of %s (%s) to an update of a deleted document',
      async (collection, _policy, status, staysDeleted) => {
        const { jwt, tenant } = await user();
        const [created] = await results(
          await running.push(jwt, {
            client_id: 'a',
            changes: [{ ...upsert('d', { v: 1 }), collection }],
          }),
        );
        await results(
          await running.push(jwt, {
            client_id: 'a',
            changes: [
              {
                collection,
                operation: 'delete',
                doc_id: 'd',
                parent_version: created!.new_version,
              },
            ],
          }),
        );
        const [update] = await results(
          await running.push(jwt, {
            client_id: 'b',
            changes: [
              { ...upsert('d', { v: 2 }), collection, parent_version: created!.new_version },
            ],
          }),
        );
        expect(update!.status).toBe(status);
        const stored = (await store.getDocument(tenant, collection, 'd'))!;
        expect(stored.deleted).toBe(staysDeleted);
        if (!staysDeleted) expect(JSON.parse(stored.data!)).toEqual({ v: 2 });
        if (status === 'rejected') expect(update!.code).toBe('DOCUMENT_DELETED');
      },
    );

    it('applies delete_wins to a delete racing an update', async () => {
      const { jwt, tenant } = await user();
      const [created] = await results(
        await running.push(jwt, {
          client_id: 'a',
          changes: [{ ...upsert('p', { v: 1 }), collection: 'projects' }],
        }),
      );
      await running.push(jwt, {
        client_id: 'a',
        changes: [
          {
            ...upsert('p', { v: 2 }),
            collection: 'projects',
            parent_version: created!.new_version,
          },
        ],
      });
      const [removed] = await results(
        await running.push(jwt, {
          client_id: 'b',
          changes: [
            {
              collection: 'projects',
              operation: 'delete',
              doc_id: 'p',
              parent_version: created!.new_version,
            },
          ],
        }),
      );
      expect(removed!.status).toBe('conflict_resolved');
      expect((await store.getDocument(tenant, 'projects', 'p'))!.deleted).toBe(true);
    });

    it('keeps the accepted changes of a partial batch, and rolls an atomic batch back whole', async () => {
      const { jwt, tenant } = await user();
      const [created] = await results(
        await running.push(jwt, {
          client_id: 'a',
          changes: [{ ...upsert('n', { v: 1 }), collection: 'notes' }],
        }),
      );
      await running.push(jwt, {
        client_id: 'a',
        changes: [
          {
            collection: 'notes',
            operation: 'delete',
            doc_id: 'n',
            parent_version: created!.new_version,
          },
        ],
      });
      const doomed = {
        ...upsert('n', { v: 2 }),
        collection: 'notes',
        parent_version: created!.new_version,
      };
      const before = await store.countOplog();

      const atomic = await results(
        await running.push(jwt, {
          client_id: 'b',
          atomic: true,
          changes: [upsert('ok1', { v: 1 }), doomed, upsert('ok2', { v: 1 })],
        }),
      );
      expect(atomic.map((result) => [result.status, result.code])).toEqual([
        ['rejected', 'BATCH_ABORTED'],
        ['rejected', 'DOCUMENT_DELETED'],
        ['rejected', 'BATCH_ABORTED'],
      ]);
      expect(await store.countOplog()).toBe(before);
      expect(await store.getDocument(tenant, 'tasks', 'ok1')).toBeNull();

      const partial = await results(
        await running.push(jwt, {
          client_id: 'b',
          changes: [upsert('ok1', { v: 1 }), doomed, upsert('ok2', { v: 1 })],
        }),
      );
      expect(partial.map((result) => result.status)).toEqual(['accepted', 'rejected', 'accepted']);
      expect(await store.countOplog()).toBe(before + 2);
    });

    it('makes a retried push idempotent: the same result, no second version', async () => {
      const { jwt } = await user();
      const body = {
        client_id: 'phone',
        changes: [upsert('r1', { v: 1 }), { ...upsert('r2', { v: 1 }), id: 'change-42' }],
      };
      const first = await results(await running.push(jwt, body));
      const before = await store.countOplog();
      const retried = await results(await running.push(jwt, body));
      expect(retried.map((result) => result.new_version)).toEqual(
        first.map((result) => result.new_version),
      );
      expect(retried.every((result) => result.replayed)).toBe(true);
      expect(await store.countOplog()).toBe(before);

      // The same change id with different content is still the same change (the id wins)...
      const sameId = await results(
        await running.push(jwt, {
          client_id: 'phone',
          changes: [{ ...upsert('r2', { v: 99 }), id: 'change-42' }],
        }),
      );
      expect(sameId[0]!.new_version).toBe(first[1]!.new_version);
      // ...but a different client's identical change is a new change, and so is new content.
      const other = await results(
        await running.push(jwt, { client_id: 'laptop', changes: [upsert('r1', { v: 1 })] }),
      );
      expect(other[0]!.replayed).toBeUndefined();
      const edited = await results(
        await running.push(jwt, { client_id: 'phone', changes: [upsert('r1', { v: 2 })] }),
      );
      expect(edited[0]!.replayed).toBeUndefined();
    });

    it('isolates tenants: no pull, full resync or stream sees another scope', async () => {
      const a = await user();
      const b = await user();
      await results(
        await running.push(a.jwt, {
          client_id: 'a',
          changes: [upsert('shared-id', { owner: 'a' })],
        }),
      );
      await results(
        await running.push(b.jwt, {
          client_id: 'b',
          changes: [upsert('shared-id', { owner: 'b' })],
        }),
      );

      const pulledB = (await (await running.pull(b.jwt, { since: '0' })).json()) as {
        changes: Array<{ data: { owner: string } }>;
      };
      expect(pulledB.changes.map((change) => change.data.owner)).toEqual(['b']);
      const full = await (
        await running.request('/sync/full?collections=tasks', { token: a.jwt })
      ).text();
      expect(
        full
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line).data.owner),
      ).toEqual(['a']);

      const stream = await openStream(running.url, `?token=${b.jwt}`);
      stream.send({ type: 'subscribe', since: '0', collections: ['tasks'] });
      await stream.next((message) => message.type === 'caught_up');
      await results(
        await running.push(a.jwt, { client_id: 'a', changes: [upsert('more', { owner: 'a' })] }),
      );
      await results(
        await running.push(b.jwt, { client_id: 'b', changes: [upsert('more', { owner: 'b' })] }),
      );
      await stream.next((message) => message.type === 'change' && message.doc_id === 'more');
      const owners = stream.messages
        .filter((message) => message.type === 'change')
        .map((message) => (message.data as { owner: string }).owner);
      expect(owners).toEqual(['b', 'b']);
      stream.close();
    });

    it('streams a full resync as NDJSON with tombstones, gzip, cursor pages and X-Sync-LastSeq', async () => {
      const { jwt } = await user();
      const changes = Array.from({ length: 30 }, (_, index) =>
        upsert(`f${String(index).padStart(2, '0')}`, { n: index }),
      );
      const pushed = await results(await running.push(jwt, { client_id: 'c', changes }));
      await results(
        await running.push(jwt, {
          client_id: 'c',
          changes: [
            {
              collection: 'tasks',
              operation: 'delete',
              doc_id: 'f03',
              parent_version: pushed[3]!.new_version,
            },
          ],
        }),
      );
      const whole = await running.request('/sync/full?collections=tasks', {
        token: jwt,
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(whole.headers.get('content-type')).toBe('application/x-ndjson');
      const lines = (await whole.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(30);
      expect(lines[3]).toMatchObject({ doc_id: 'f03', deleted: true, data: null });
      expect(whole.headers.get('x-sync-cursor')).toBeNull();
      const lastSeq = whole.headers.get('x-sync-lastseq')!;

      // Raw gzip bytes, as a client that decompresses itself sees them.
      const { request } = await import('node:http');
      const gz = await new Promise<Buffer>((resolve, reject) => {
        const req = request(
          `${running.url}/sync/full?collections=tasks`,
          {
            headers: { authorization: `Bearer ${jwt}`, 'accept-encoding': 'gzip' },
          },
          (res) => {
            expect(res.headers['content-encoding']).toBe('gzip');
            const chunks: Buffer[] = [];
            res.on('data', (chunk) => chunks.push(chunk));
            res.on('end', () => resolve(Buffer.concat(chunks)));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(gunzipSync(gz).toString().trim().split('\n')).toHaveLength(30);

      const paged: string[] = [];
      let cursor: string | null = '';
      let pages = 0;
      while (cursor !== null) {
        const response = await running.request(
          `/sync/full?collections=tasks&limit=7${cursor ? `&cursor=${cursor}` : ''}`,
          { token: jwt },
        );
        expect(response.headers.get('x-sync-lastseq')).toBe(lastSeq);
        for (const line of (await response.text()).trim().split('\n'))
          paged.push(JSON.parse(line).doc_id);
        cursor = response.headers.get('x-sync-cursor');
        pages++;
      }
      expect(pages).toBe(5);
      expect(paged).toEqual(lines.map((line) => line.doc_id));

      await results(
        await running.push(jwt, { client_id: 'c', changes: [upsert('after', { n: 1 })] }),
      );
      const pulled = (await (await running.pull(jwt, { since: lastSeq })).json()) as {
        changes: Array<{ doc_id: string }>;
      };
      expect(pulled.changes.map((change) => change.doc_id)).toEqual(['after']);
    });

    it('pages a full resync over several collections in (collection, doc_id) order', async () => {
      const { jwt } = await user();
      const expected: string[] = [];
      for (const collection of ['tasks', 'notes', 'projects']) {
        const changes = Array.from({ length: 12 }, (_, index) =>
          upsert(`m${String(index).padStart(2, '0')}`, { index }, { collection }),
        );
        await results(await running.push(jwt, { client_id: 'c', changes }));
      }
      for (const collection of ['notes', 'projects', 'tasks']) {
        for (let index = 0; index < 12; index++) {
          expected.push(`${collection}/m${String(index).padStart(2, '0')}`);
        }
      }
      const whole = await running.request('/sync/full?collections=tasks,projects,notes', {
        token: jwt,
      });
      const all = (await whole.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .map((doc: { collection: string; doc_id: string }) => `${doc.collection}/${doc.doc_id}`);
      expect(all).toEqual(expected);

      const paged: string[] = [];
      let cursor: string | null = '';
      while (cursor !== null) {
        const response = await running.request(
          `/sync/full?collections=tasks,projects,notes&limit=5${cursor ? `&cursor=${cursor}` : ''}`,
          { token: jwt },
        );
        for (const line of (await response.text()).trim().split('\n')) {
          const doc = JSON.parse(line) as { collection: string; doc_id: string };
          paged.push(`${doc.collection}/${doc.doc_id}`);
        }
        cursor = response.headers.get('x-sync-cursor');
      }
      expect(paged).toEqual(expected);
    });

    it('reads a full resync from one snapshot while writes go on', async () => {
      const { jwt } = await user();
      const total = 3000;
      for (let start = 0; start < total; start += 500) {
        const changes = Array.from({ length: 500 }, (_, index) =>
          upsert(`s${String(start + index).padStart(5, '0')}`, { round: 1, pad: 'x'.repeat(200) }),
        );
        await results(await running.push(jwt, { client_id: 'c', changes }));
      }
      const small = await serverWith({ fullResyncPageSize: 50 });
      const response = await small.request('/sync/full?collections=tasks', { token: jwt });
      const reader = response.body!.getReader();
      const first = await reader.read();
      // Rewrite every document, and delete some, while the export is being read.
      for (let start = 0; start < total; start += 500) {
        const changes = Array.from({ length: 500 }, (_, index) =>
          upsert(
            `s${String(start + index).padStart(5, '0')}`,
            { round: 2 },
            { parent_version: undefined },
          ),
        );
        await results(await small.push(jwt, { client_id: 'd', changes }));
      }
      let text = new TextDecoder().decode(first.value);
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const rows = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(rows).toHaveLength(total);
      expect(rows.filter((row) => row.data.round !== 1)).toEqual([]);
    });

    it('answers full_resync_required when since is older than the retention horizon', async () => {
      const { jwt } = await user();
      await results(
        await running.push(jwt, { client_id: 'c', changes: [upsert('old', { v: 1 })] }),
      );
      const page = (await (await running.pull(jwt, { since: '0' })).json()) as { last_seq: string };
      const pruner = await serverWith({ retentionDays: 0 });
      const { removed } = await pruner.server.prune();
      expect(removed).toBeGreaterThan(0);

      const stale = await (
        await running.pull(jwt, { since: '0', collections: 'tasks,notes' })
      ).json();
      expect(stale).toEqual({
        server_hlc: expect.any(String),
        full_resync_required: true,
        collections: ['tasks', 'notes'],
        reason: 'retention',
      });
      const current = await (await running.pull(jwt, { since: page.last_seq })).json();
      expect(current).toMatchObject({ changes: [] });

      const stream = await openStream(running.url);
      stream.send({ type: 'subscribe', since: '0', collections: ['tasks'], token: jwt });
      expect(await stream.next((message) => message.type === 'full_resync_required')).toEqual({
        type: 'full_resync_required',
        collections: ['tasks'],
        reason: 'retention',
      });
      expect((await stream.closed).code).toBe(4000);
    });

    it('streams the backlog then live changes, with the token in the first message', async () => {
      const { jwt, tenant } = await user();
      const since = String(await store.lastSeq(tenant));
      await results(
        await running.push(jwt, {
          client_id: 'c',
          changes: [upsert('b1', { v: 1 }), { ...upsert('n1', { v: 1 }), collection: 'notes' }],
        }),
      );
      const stream = await openStream(running.url);
      stream.send({ type: 'auth', token: jwt });
      await stream.next((message) => message.type === 'authenticated');
      stream.send({ type: 'subscribe', since, collections: ['tasks'] });
      await stream.next((message) => message.type === 'subscribed');
      expect(await stream.next((message) => message.type === 'change')).toMatchObject({
        doc_id: 'b1',
      });
      await stream.next((message) => message.type === 'caught_up');
      await results(
        await running.push(jwt, {
          client_id: 'c',
          changes: [{ ...upsert('n2', {}), collection: 'notes' }, upsert('live', { v: 2 })],
        }),
      );
      expect(await stream.next((message) => message.type === 'change')).toMatchObject({
        doc_id: 'live',
        data: { v: 2 },
      });
      await running.server.write({
        scope: await decodeTenant(jwt),
        changes: [
          { collection: 'tasks', operation: 'upsert', doc_id: 'from-app', data: { by: 'server' } },
        ],
      });
      expect(await stream.next((message) => message.type === 'change')).toMatchObject({
        doc_id: 'from-app',
        client_id: 'server',
      });
      const docs = stream.messages
        .filter((message) => message.type === 'change')
        .map((message) => message.doc_id);
      expect(docs).toEqual(['b1', 'live', 'from-app']);
      stream.close();
    });

    it('patches documents from server writes inside the transaction and lists collections per scope', async () => {
      const scope = freshTenant();
      expect(running.server.store).toBe(store);
      const write = (doc_id: string, data: Record<string, unknown>, patch = true) =>
        running.server.write({
          scope,
          changes: [{ collection: 'tasks', operation: 'upsert', doc_id, data, patch }],
        });
      await write('p1', { title: 'a', done: false }, false);
      const [patched] = await write('p1', { done: true });
      expect(patched).toMatchObject({ status: 'accepted' });
      const stored = await store.getDocument(scope, 'tasks', 'p1');
      expect(JSON.parse(stored!.data!)).toEqual({ title: 'a', done: true });
      expect(stored!.version).toBe(patched!.new_version);

      const before = await store.lastSeq(scope);
      const [unchanged] = await write('p1', { title: 'a' });
      expect(unchanged!.new_version).toBe(stored!.version);
      expect(await store.lastSeq(scope)).toBe(before);

      await running.server.write({
        scope,
        changes: [{ collection: 'notes', operation: 'delete', doc_id: 'gone' }],
      });
      await write('p1', { title: 'b' });
      expect(await store.listCollections(scope)).toEqual(['notes', 'tasks']);
      expect(await store.listCollections(freshTenant())).toEqual([]);
    });

    it('sends heartbeats, and refuses a bad token on the socket', async () => {
      const fast = await serverWith({ heartbeatMs: 50 });
      const { jwt } = await user();
      const stream = await openStream(fast.url, `?token=${jwt}`);
      await stream.next((message) => message.type === 'heartbeat');
      stream.close();

      const bad = await openStream(fast.url, '?token=not-a-jwt');
      expect(await bad.next((message) => message.type === 'error')).toMatchObject({
        error: { code: 'AUTH_FAILED' },
      });
      expect((await bad.closed).code).toBe(4401);
    });

    it('moves a socket that stops reading off live pushes and drops it when it never catches up', async () => {
      const slow = await serverWith({
        maxSocketBufferBytes: 64 * 1024,
        slowConsumerTimeoutMs: 500,
      });
      const { jwt, tenant } = await user();
      const stream = await openStream(slow.url, `?token=${jwt}`);
      stream.send({
        type: 'subscribe',
        since: String(await store.lastSeq(tenant)),
        collections: ['tasks'],
      });
      await stream.next((message) => message.type === 'caught_up');
      const socket = (stream.ws as unknown as { _socket: import('node:net').Socket })._socket;
      socket.pause();
      for (let round = 0; round < 10; round++) {
        const changes = Array.from({ length: 100 }, (_, index) =>
          upsert(`slow-${round}-${index}`, { pad: 'y'.repeat(4000) }),
        );
        await results(await slow.push(jwt, { client_id: 'c', changes }));
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const metrics = await (await slow.request('/metrics')).text();
      expect(metrics).toMatch(/sync_full_resync_required_total\{reason="slow_consumer"\} [1-9]/);
      socket.resume();
      expect(
        await stream.next((message) => message.type === 'full_resync_required', 10_000),
      ).toMatchObject({ reason: 'slow_consumer' });
      expect((await stream.closed).code).toBe(4000);
    });

    it('delivers every change in order to a socket that falls behind for a while', async () => {
      const slow = await serverWith({
        maxSocketBufferBytes: 32 * 1024,
        slowConsumerTimeoutMs: 20_000,
      });
      const { jwt, tenant } = await user();
      const stream = await openStream(slow.url, `?token=${jwt}`);
      stream.send({
        type: 'subscribe',
        since: String(await store.lastSeq(tenant)),
        collections: ['tasks'],
      });
      await stream.next((message) => message.type === 'caught_up');
      const socket = (stream.ws as unknown as { _socket: import('node:net').Socket })._socket;
      socket.pause();
      for (let round = 0; round < 6; round++) {
        const changes = Array.from({ length: 100 }, (_, index) =>
          upsert(`lag-${round * 100 + index}`, { pad: 'z'.repeat(2000) }),
        );
        await results(await slow.push(jwt, { client_id: 'c', changes }));
      }
      setTimeout(() => socket.resume(), 300);
      await stream.next((message) => message.doc_id === 'lag-599', 15_000);
      const seqs = stream.messages
        .filter((message) => message.type === 'change')
        .map((message) => message.seq as number);
      expect(seqs).toHaveLength(600);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(600);
      stream.close();
    });

    describe('refuses bad input with a 4xx and a clear message, storing nothing', () => {
      const cases: Array<
        [string, (jwt: string, expired: string) => Promise<Response>, number, string]
      > = [
        [
          'malformed JSON',
          (jwt) => running.push(jwt, '{"client_id": "c", "changes": ['),
          400,
          'INVALID_JSON',
        ],
        [
          'a missing client_id',
          (jwt) => running.push(jwt, { changes: [upsert('x', {})] }),
          400,
          'REQUEST_INVALID',
        ],
        [
          'an unknown operation',
          (jwt) =>
            running.push(jwt, {
              client_id: 'c',
              changes: [{ ...upsert('x', {}), operation: 'patch' }],
            }),
          400,
          'REQUEST_INVALID',
        ],
        [
          'an upsert without data',
          (jwt) =>
            running.push(jwt, {
              client_id: 'c',
              changes: [{ collection: 'tasks', operation: 'upsert', doc_id: 'x' }],
            }),
          400,
          'REQUEST_INVALID',
        ],
        [
          'a bad parent_version',
          (jwt) =>
            running.push(jwt, {
              client_id: 'c',
              changes: [upsert('x', {}, { parent_version: 'yesterday' })],
            }),
          400,
          'REQUEST_INVALID',
        ],
        [
          'an oversized body',
          (jwt) =>
            running.push(jwt, {
              client_id: 'c',
              changes: [upsert('x', { blob: 'b'.repeat(1_100_000) })],
            }),
          413,
          'PAYLOAD_TOO_LARGE',
        ],
        [
          'a bad HLC in since',
          (jwt) => running.pull(jwt, { since: '2026-05-02T12:00' }),
          400,
          'SINCE_INVALID',
        ],
        ['limit over the cap', (jwt) => running.pull(jwt, { limit: '5000' }), 400, 'LIMIT_INVALID'],
        [
          'an unknown collection in a pull',
          (jwt) => running.pull(jwt, { collections: 'tasks,secrets' }),
          400,
          'COLLECTION_UNKNOWN',
        ],
        [
          'a bad full resync cursor',
          (jwt) => running.request('/sync/full?collections=tasks&cursor=abc', { token: jwt }),
          400,
          'CURSOR_INVALID',
        ],
        [
          'no token',
          () => running.push('', { client_id: 'c', changes: [upsert('x', {})] }),
          401,
          'AUTH_REQUIRED',
        ],
        [
          'a wrong token',
          async () =>
            running.push(
              await token({ sub: 'a', tenant: 'x' }, { secret: 'another-secret-0123456789abcdef' }),
              { client_id: 'c', changes: [upsert('x', {})] },
            ),
          401,
          'AUTH_FAILED',
        ],
        [
          'an expired token',
          (_jwt, expired) => running.push(expired, { client_id: 'c', changes: [upsert('x', {})] }),
          401,
          'AUTH_EXPIRED',
        ],
        [
          'a token without the scope claim',
          async () =>
            running.push(await token({ sub: 'a' }, { expiresIn: '1h' }), {
              client_id: 'c',
              changes: [upsert('x', {})],
            }),
          401,
          'AUTH_FAILED',
        ],
      ];
      it.each(cases)('%s', async (_label, send, status, code) => {
        const { jwt } = await user();
        const expired = await token({
          sub: 'alice',
          tenant: 'x',
          exp: Math.floor(Date.now() / 1000) - 60,
        });
        const before = await store.countOplog();
        const response = await send(jwt, expired);
        expect(response.status).toBe(status);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe(code);
        expect(body.error.message.length).toBeGreaterThan(10);
        expect(await store.countOplog()).toBe(before);
      });
    });

    it('counts pushes, conflicts and connections in /metrics', async () => {
      const text = await (await running.request('/metrics')).text();
      for (const name of [
        'sync_push_total{status="success"}',
        'sync_push_changes_total',
        'sync_conflict_total{collection="tasks"}',
        'sync_pull_total',
        'sync_pull_changes_served',
        'sync_full_resync_total',
        'sync_oplog_size',
        'sync_websocket_connections',
      ]) {
        expect(text).toContain(name);
      }
    });
  });
}

async function decodeTenant(jwt: string): Promise<string> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).tenant;
}
