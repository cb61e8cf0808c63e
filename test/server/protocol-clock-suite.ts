import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../src/server/index.js';
import { type Running, startServer, token, upsert } from './helpers.js';

const DAY_MS = 86_400_000;
const at = (ms: number, node: string) => `${String(ms).padStart(15, '0')}-000000-${node}`;
const wallMs = (version: string) => Number(version.slice(0, 15));

interface PushAnswer {
  results: Array<{
    status: string;
    code?: string;
    new_version?: string;
    document?: { data: unknown };
  }>;
  server_hlc?: string;
}

let tenants = 0;

/** Device clocks that are wrong: never a reason to refuse an edit. Run once per store backend. */
export function describeClockProtocol(name: string, makeStore: () => Promise<DocumentStore>): void {
  describe(`sync protocol with wrong device clocks on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store);
    });
    afterAll(async () => {
      await running.close();
      await store.close();
    });

    async function tenantToken() {
      tenants += 1;
      const tenant = `clock-${tenants}-${Math.random().toString(36).slice(2, 8)}`;
      return { tenant, jwt: await token({ sub: 'alice', tenant }, { expiresIn: '1h' }) };
    }

    async function push(jwt: string, body: unknown): Promise<PushAnswer> {
      const response = await running.push(jwt, body);
      expect(response.status).toBe(200);
      return (await response.json()) as PushAnswer;
    }

    it("accepts an edit from a device a day ahead, orders it by the server's receipt and keeps the server's clock", async () => {
      const { tenant, jwt } = await tenantToken();
      const created = await push(jwt, { client_id: 'z', changes: [upsert('d1', { v: 0 })] });
      const base = created.results[0]!.new_version!;

      const before = Date.now();
      const fast = await push(jwt, {
        client_id: 'fast',
        changes: [
          upsert('d1', { v: 'fast' }, { parent_version: base, hlc: at(before + DAY_MS, 'fast') }),
        ],
      });
      const after = Date.now();
      expect(fast.results[0]).toMatchObject({ status: 'accepted' });
      const stored = await store.getDocument(tenant, 'tasks', 'd1');
      expect(stored).toMatchObject({ data: '{"v":"fast"}' });
      // Ordered by when the server got it, not by the device's future.
      expect(wallMs(stored!.editVersion)).toBeGreaterThanOrEqual(before - 1000);
      expect(wallMs(stored!.editVersion)).toBeLessThanOrEqual(after + 1000);
      // The server's clock was not dragged a day ahead.
      expect(wallMs(fast.server_hlc!)).toBeLessThanOrEqual(Date.now() + 1000);

      // An edit made after that arrival, on the same base, by a device with a right clock wins.
      const right = await push(jwt, {
        client_id: 'right',
        changes: [
          upsert('d1', { v: 'right' }, { parent_version: base, hlc: at(Date.now() + 1000, 'ok') }),
        ],
      });
      expect(right.results[0]).toMatchObject({ status: 'conflict_resolved' });
      expect(right.results[0]!.document).toBeUndefined();
      expect(await store.getDocument(tenant, 'tasks', 'd1')).toMatchObject({
        data: '{"v":"right"}',
      });
    });

    it('accepts edits from devices a day behind and far ahead alike, in one push', async () => {
      const { tenant, jwt } = await tenantToken();
      const now = Date.now();
      const answer = await push(jwt, {
        client_id: 'c',
        changes: [
          upsert('slow', { v: 1 }, { hlc: at(now - DAY_MS, 'slow') }),
          upsert('far', { v: 2 }, { hlc: at(now + 365 * DAY_MS, 'far') }),
        ],
      });
      expect(answer.results.map((result) => result.status)).toEqual(['accepted', 'accepted']);
      expect((await store.getDocument(tenant, 'tasks', 'slow'))?.editVersion).toBe(
        at(now - DAY_MS, 'slow'),
      );
      expect(wallMs((await store.getDocument(tenant, 'tasks', 'far'))!.editVersion)).toBeLessThan(
        Date.now() + 1000,
      );
    });

    it("tells every push and pull the server's clock (server_hlc)", async () => {
      const { jwt } = await tenantToken();
      const pushed = await push(jwt, { client_id: 'c', changes: [upsert('a', { v: 1 })] });
      const pulled = (await (await running.pull(jwt, { since: '0' })).json()) as {
        server_hlc?: string;
      };
      for (const serverHlc of [pushed.server_hlc, pulled.server_hlc]) {
        expect(serverHlc).toMatch(/^\d{15}-\d{6}-[A-Za-z0-9_.-]+$/);
        expect(Math.abs(wallMs(serverHlc!) - Date.now())).toBeLessThan(5000);
      }
      expect(pulled.server_hlc! > pushed.server_hlc!).toBe(true);
    });
  });
}
