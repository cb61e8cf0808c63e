import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictRejection,
  type DocumentStore,
  type IncomingContext,
  type SyncLogger,
} from '../../src/server/index.js';
import { type Running, SECRET, startServer, token, upsert } from './helpers.js';

let tenants = 0;

interface PushAnswer {
  results: Array<{
    doc_id: string;
    status: string;
    code?: string;
    error?: string;
    replayed?: true;
  }>;
}

/** The incoming-document hook: rewrite or refuse a pushed change before it is stored. */
export function describeIncomingProtocol(
  name: string,
  makeStore: () => Promise<DocumentStore>,
): void {
  describe(`sync incoming-document hook on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;
    const seen: IncomingContext[] = [];
    const logged: string[] = [];
    let stamps = 0;
    const logger: SyncLogger = {
      info() {},
      warn() {},
      error: (details, message) => logged.push(`${message} ${JSON.stringify(details)}`),
    };

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store, {
        auth: { secret: SECRET, scopeClaim: 'tenant' },
        logger,
        collections: {
          tasks: {},
          notes: {
            // A collection's own hook replaces the server's.
            incoming: ({ data }) => ({ action: 'accept', data: { ...data, from: 'notes-hook' } }),
          },
        },
        incoming: (context) => {
          seen.push(context);
          const data = context.data;
          if (data?.explode) throw new Error('boom');
          if (data?.refuse) throw new ConflictRejection('Refused by rule', 'RULE_REFUSED');
          if (context.operation === 'delete' && context.docId === 'keep-me') {
            return { action: 'reject', reason: 'This document cannot be deleted' };
          }
          if (typeof data?.amount === 'number' && data.amount < 0) {
            return {
              action: 'reject',
              reason: 'amount must not be negative',
              code: 'AMOUNT_NEGATIVE',
            };
          }
          if (data) {
            // Stamped from the token, whatever the client sent.
            data.vendor_id = context.user.claims.vendor;
            data.stamp = ++stamps;
          }
          return undefined;
        },
      });
    });
    afterAll(async () => {
      await running.close();
      await store.close();
    });

    async function tenantToken(vendor = 'v-1') {
      tenants += 1;
      const tenant = `incoming-${tenants}-${Math.random().toString(36).slice(2, 8)}`;
      return { tenant, jwt: await token({ sub: 'alice', tenant, vendor }, { expiresIn: '1h' }) };
    }

    async function push(jwt: string, changes: unknown[], extra: object = {}): Promise<PushAnswer> {
      const response = await running.push(jwt, { client_id: 'c', changes, ...extra });
      expect(response.status).toBe(200);
      return (await response.json()) as PushAnswer;
    }

    async function stored(tenant: string, docId: string, collection = 'tasks') {
      const doc = await store.getDocument(tenant, collection, docId);
      return doc?.data ? JSON.parse(doc.data) : null;
    }

    it('stores the fields the hook stamps from the token, over what the client sent', async () => {
      const { tenant, jwt } = await tenantToken('vendor-7');
      const since = String(await store.lastSeq(tenant));
      const answer = await push(jwt, [upsert('a', { title: 'x', vendor_id: 'forged' })]);
      expect(answer.results[0]).toMatchObject({ doc_id: 'a', status: 'accepted' });
      expect(await stored(tenant, 'a')).toMatchObject({ title: 'x', vendor_id: 'vendor-7' });
      const pulled = (await (await running.pull(jwt, { since })).json()) as {
        changes: Array<{ data: Record<string, unknown> }>;
      };
      expect(pulled.changes[0]!.data).toMatchObject({ vendor_id: 'vendor-7' });
      const context = seen.find((one) => one.user.scope === tenant)!;
      expect(context).toMatchObject({
        collection: 'tasks',
        docId: 'a',
        operation: 'upsert',
        parentVersion: null,
        user: { id: 'alice', scope: tenant },
      });
    });

    it('refuses one change with the hook reason and applies the others', async () => {
      const { tenant, jwt } = await tenantToken();
      const answer = await push(jwt, [upsert('ok', { amount: 5 }), upsert('bad', { amount: -1 })]);
      expect(answer.results).toEqual([
        expect.objectContaining({ doc_id: 'ok', status: 'accepted' }),
        {
          doc_id: 'bad',
          collection: 'tasks',
          status: 'rejected',
          code: 'AMOUNT_NEGATIVE',
          error: 'amount must not be negative',
        },
      ]);
      expect(await stored(tenant, 'ok')).toMatchObject({ amount: 5 });
      expect(await store.getDocument(tenant, 'tasks', 'bad')).toBeNull();
    });

    it('aborts an atomic push the hook refuses part of, storing nothing', async () => {
      const { tenant, jwt } = await tenantToken();
      const answer = await push(jwt, [upsert('ok', { amount: 5 }), upsert('bad', { amount: -1 })], {
        atomic: true,
      });
      expect(answer.results.map((result) => result.code)).toEqual([
        'BATCH_ABORTED',
        'AMOUNT_NEGATIVE',
      ]);
      expect(await store.getDocument(tenant, 'tasks', 'ok')).toBeNull();
    });

    it('answers a retried push with the first result, though the hook stamped something new', async () => {
      const { tenant, jwt } = await tenantToken();
      const first = await push(jwt, [upsert('r', { title: 'same' })]);
      const version = (await store.getDocument(tenant, 'tasks', 'r'))!.version;
      const again = await push(jwt, [upsert('r', { title: 'same' })]);
      expect(again.results[0]).toEqual({ ...first.results[0], replayed: true });
      expect((await store.getDocument(tenant, 'tasks', 'r'))!.version).toBe(version);
    });

    it('refuses deletes the hook refuses, and uses a collection’s own hook', async () => {
      const { tenant, jwt } = await tenantToken();
      await push(jwt, [
        upsert('keep-me', { v: 1 }),
        upsert('n', { v: 1 }, { collection: 'notes' }),
      ]);
      const answer = await push(jwt, [
        { collection: 'tasks', operation: 'delete', doc_id: 'keep-me' },
      ]);
      expect(answer.results[0]).toMatchObject({
        status: 'rejected',
        code: 'INCOMING_REJECTED',
        error: 'This document cannot be deleted',
      });
      expect((await store.getDocument(tenant, 'tasks', 'keep-me'))!.deleted).toBe(false);
      expect(await stored(tenant, 'n', 'notes')).toEqual({ v: 1, from: 'notes-hook' });
    });

    it('rejects the change a failing hook was asked about, logging no document contents', async () => {
      const { tenant, jwt } = await tenantToken();
      const answer = await push(jwt, [
        upsert('boom', { explode: true, secret: 'hunter2' }),
        upsert('rule', { refuse: true }),
        upsert('fine', { v: 1 }),
      ]);
      expect(answer.results.map((result) => [result.status, result.code])).toEqual([
        ['rejected', 'INCOMING_FAILED'],
        ['rejected', 'RULE_REFUSED'],
        ['accepted', undefined],
      ]);
      expect(await store.getDocument(tenant, 'tasks', 'boom')).toBeNull();
      expect(logged.find((line) => line.includes('sync incoming hook failed'))).toContain('boom');
      expect(logged.join('\n')).not.toContain('hunter2');
    });
  });
}
