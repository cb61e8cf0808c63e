import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../src/server/index.js';
import { openStream, type Running, startServer, token, upsert } from './helpers.js';

interface PullAnswer {
  changes: Array<{ seq: number; doc_id: string }>;
  last_seq: string;
  has_more: boolean;
  full_resync_required?: boolean;
  reason?: string;
}

/**
 * What one tenant can learn from its cursors: nothing about other tenants. Every number a
 * tenant sees (last_seq, change seqs and their gaps, X-Sync-LastSeq, the full resync cursor,
 * stream seqs) must be the same whether or not another tenant writes meanwhile.
 */
export function describePrivacyProtocol(name: string, makeStore: () => Promise<DocumentStore>) {
  describe(`${name}: cursors reveal nothing about other scopes`, () => {
    let store: DocumentStore;
    let running: Running;
    const servers: Running[] = [];
    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store);
    });
    afterAll(async () => {
      for (const server of servers) await server.close();
      await running.close();
      await store.close();
    });

    let runs = 0;
    const tenantToken = (tenant: string) => token({ sub: 'u', tenant }, { expiresIn: '1h' });
    async function pushed(jwt: string, docIds: string[]): Promise<void> {
      const response = await running.push(jwt, {
        client_id: 'device',
        changes: docIds.map((docId) => upsert(docId, { docId })),
      });
      expect(response.status).toBe(200);
    }
    async function pulled(jwt: string, query: Record<string, string>): Promise<PullAnswer> {
      const response = await running.pull(jwt, query);
      expect(response.status).toBe(200);
      return (await response.json()) as PullAnswer;
    }

    /** Everything tenant A observes, with another tenant writing in between when `busy`. */
    async function observeTenant(busy: boolean): Promise<unknown[]> {
      runs += 1;
      const run = `privacy-${runs}-${Math.random().toString(36).slice(2, 8)}`;
      const a = await tenantToken(`${run}-a`);
      const b = await tenantToken(`${run}-b`);
      let written = 0;
      const otherWrites = async (count: number) => {
        if (!busy) return;
        await pushed(
          b,
          Array.from({ length: count }, () => `b${written++}`),
        );
      };
      const seen: unknown[] = [];
      const pull = async (query: Record<string, string>) => {
        const answer = await pulled(a, query);
        seen.push({
          last_seq: answer.last_seq,
          has_more: answer.has_more,
          changes: answer.changes.map((change) => [change.seq, change.doc_id]),
        });
        return answer;
      };

      await otherWrites(3);
      await pull({ since: '0' });
      await pushed(a, ['a1', 'a2']);
      await otherWrites(5);
      await pushed(a, ['a3']);
      const first = await pull({ since: '0', limit: '2' });
      await pull({ since: first.last_seq });
      await otherWrites(4);
      const caughtUp = await pull({ since: '0' });

      const full = await running.request('/sync/full?collections=tasks&limit=2', { token: a });
      expect(full.status).toBe(200);
      seen.push({
        lastSeq: full.headers.get('x-sync-lastseq'),
        cursor: full.headers.get('x-sync-cursor'),
      });
      await full.text();

      const stream = await openStream(running.url, `?token=${a}`);
      stream.send({ type: 'subscribe', since: '1', collections: ['tasks'] });
      await stream.next((message) => message.type === 'caught_up', 20_000);
      await otherWrites(2);
      await pushed(a, ['a4']);
      await stream.next((message) => message.type === 'change' && message.doc_id === 'a4', 20_000);
      stream.close();
      seen.push(
        stream.messages
          .filter((message) => message.type !== 'heartbeat')
          .map(({ type, seq, doc_id, since, last_seq }) => ({
            type,
            seq,
            doc_id,
            since,
            last_seq,
          })),
      );

      await otherWrites(1);
      const next = await pull({ since: caughtUp.last_seq });
      await pull({ since: next.last_seq });
      return seen;
    }

    it('gives a tenant the same cursors, seqs and gaps whether or not another tenant writes', async () => {
      const alone = await observeTenant(false);
      const beside = await observeTenant(true);
      expect(beside).toEqual(alone);
      // The tenant's own count, from 1, without gaps.
      expect(alone[0]).toEqual({ last_seq: '0', has_more: false, changes: [] });
      expect(alone[1]).toEqual({
        last_seq: '2',
        has_more: true,
        changes: [
          [1, 'a1'],
          [2, 'a2'],
        ],
      });
      expect(alone[4]).toMatchObject({ lastSeq: '3' });
      expect(alone.at(-2)).toEqual({ last_seq: '4', has_more: false, changes: [[4, 'a4']] });
    });

    it('prunes each scope on its own: a tenant whose entries are all current pulls from 0', async () => {
      runs += 1;
      const run = `privacy-${runs}-${Math.random().toString(36).slice(2, 8)}`;
      const old = await tenantToken(`${run}-old`);
      await pushed(old, ['o1', 'o2']);
      const held = await pulled(old, { since: '0' });
      const pruner = await startServer(store, { retentionDays: 0 });
      servers.push(pruner);
      expect((await pruner.server.prune()).removed).toBeGreaterThanOrEqual(2);

      // The expired tenant: its old cursor must resync, its latest one goes on.
      expect(await pulled(old, { since: '0' })).toMatchObject({
        full_resync_required: true,
        reason: 'retention',
      });
      expect(await pulled(old, { since: held.last_seq })).toMatchObject({
        changes: [],
        last_seq: held.last_seq,
      });

      // A tenant that begins after the pruning lost nothing: from 0 it gets everything.
      const fresh = await tenantToken(`${run}-fresh`);
      await pushed(fresh, ['f1']);
      const answer = await pulled(fresh, { since: '0' });
      expect(answer).toMatchObject({ last_seq: '1', changes: [{ seq: 1, doc_id: 'f1' }] });
      const stream = await openStream(running.url, `?token=${fresh}`);
      stream.send({ type: 'subscribe', since: '0', collections: ['tasks'] });
      expect(await stream.next((message) => message.type === 'change', 20_000)).toMatchObject({
        type: 'change',
        seq: 1,
        doc_id: 'f1',
      });
      stream.close();
    });
  });
}
