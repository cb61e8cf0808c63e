import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConflictContext, DocumentStore } from '../../src/server/index.js';
import { openStream, type Running, SECRET, startServer, token, upsert } from './helpers.js';

let tenants = 0;

interface PulledChange {
  seq: number;
  doc_id: string;
  client_id: string | null;
  actor_id: string | null;
  version: string;
}

/** The authenticated actor on every document change, beside the client's own id. */
export function describeActorProtocol(name: string, makeStore: () => Promise<DocumentStore>): void {
  describe(`sync actors on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;
    const conflicts: ConflictContext[] = [];

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store, {
        auth: { secret: SECRET, scopeClaim: 'tenant' },
        collections: {
          tasks: {},
          notes: {
            resolver: (context) => {
              conflicts.push(context);
              return { action: 'accept' };
            },
          },
        },
      });
    });
    afterAll(async () => {
      await running.close();
      await store.close();
    });

    async function tenantTokens() {
      tenants += 1;
      const tenant = `actor-${tenants}-${Math.random().toString(36).slice(2, 8)}`;
      since = String(await store.lastSeq(tenant));
      return {
        tenant,
        alice: await token({ sub: 'alice', tenant }, { expiresIn: '1h' }),
        bob: await token({ sub: 'bob', tenant }, { expiresIn: '1h' }),
      };
    }

    /** Other suites may share (and prune) this store: read from where this tenant began. */
    let since = '0';
    async function pulled(jwt: string): Promise<PulledChange[]> {
      const response = await running.pull(jwt, { since });
      return ((await response.json()) as { changes: PulledChange[] }).changes;
    }

    it('records who pushed each change on the oplog, the document, the full resync and the stream', async () => {
      const { tenant, alice, bob } = await tenantTokens();
      const stream = await openStream(running.url);
      stream.send({ type: 'subscribe', token: alice, since, collections: ['tasks'] });
      await stream.next((message) => message.type === 'caught_up');
      await running.push(alice, { client_id: 'phone', changes: [upsert('d', { v: 1 })] });
      const [first] = await pulled(alice);
      await running.push(bob, {
        client_id: 'phone',
        changes: [upsert('d', { v: 2 }, { parent_version: first!.version })],
      });
      expect(
        (await pulled(bob)).map((change) => [change.doc_id, change.client_id, change.actor_id]),
      ).toEqual([
        ['d', 'phone', 'alice'],
        ['d', 'phone', 'bob'],
      ]);
      expect(await store.getDocument(tenant, 'tasks', 'd')).toMatchObject({ actorId: 'bob' });
      const live = await stream.next(
        (message) => message.type === 'change' && message.seq !== first!.seq,
      );
      expect(live).toMatchObject({ doc_id: 'd', client_id: 'phone', actor_id: 'bob' });
      stream.close();
      const full = await running.request('/sync/full?collections=tasks', { token: alice });
      expect(JSON.parse((await full.text()).trim())).toMatchObject({
        doc_id: 'd',
        actor_id: 'bob',
      });
    });

    it('shows resolvers who wrote the stored state and who pushes the conflicting change', async () => {
      const { tenant, alice, bob } = await tenantTokens();
      const base = { collection: 'notes' };
      await running.push(alice, { client_id: 'a', changes: [upsert('n', { v: 1 }, base)] });
      const [stored] = await pulled(alice);
      await running.push(alice, {
        client_id: 'a',
        changes: [upsert('n', { v: 2 }, { ...base, parent_version: stored!.version })],
      });
      await running.push(bob, {
        client_id: 'b',
        changes: [upsert('n', { v: 3 }, { ...base, parent_version: stored!.version })],
      });
      const seen = conflicts.find((context) => context.user.scope === tenant)!;
      expect(seen.user.id).toBe('bob');
      expect(seen.current.actorId).toBe('alice');
    });

    it('names the actor of a server write, and `server` when it names none', async () => {
      const { tenant, alice } = await tenantTokens();
      await running.server.write({
        scope: tenant,
        actor: 'billing-job',
        changes: [{ collection: 'tasks', operation: 'upsert', doc_id: 'w', data: { v: 1 } }],
      });
      await running.server.write({
        scope: tenant,
        changes: [{ collection: 'tasks', operation: 'upsert', doc_id: 'x', data: { v: 1 } }],
      });
      expect((await pulled(alice)).map((change) => [change.doc_id, change.actor_id])).toEqual([
        ['w', 'billing-job'],
        ['x', 'server'],
      ]);
      expect(await store.getDocument(tenant, 'tasks', 'w')).toMatchObject({
        actorId: 'billing-job',
      });
    });
  });
}
