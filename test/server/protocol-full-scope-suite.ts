import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../src/server/index.js';
import { type Running, SECRET, startServer, token, upsert } from './helpers.js';

/** `/sync/full` without `collections`: every collection the caller may read. */
export function describeFullScopeProtocol(
  name: string,
  makeStore: () => Promise<DocumentStore>,
): void {
  describe(`sync full resync of every readable collection on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store, {
        auth: { secret: SECRET, scopeClaim: 'tenant' },
        collections: undefined,
        authorize: ({ user, collection }) =>
          collection !== 'secret' || user.claims.role === 'admin',
      });
    });
    afterAll(async () => {
      await running.close();
      await store.close();
    });

    it('serves the scope’s own collections without an allow-list, leaving out refused ones', async () => {
      const tenant = `full-${Math.random().toString(36).slice(2, 8)}`;
      const admin = await token({ sub: 'a', tenant, role: 'admin' }, { expiresIn: '1h' });
      const user = await token({ sub: 'u', tenant }, { expiresIn: '1h' });
      const other = await token({ sub: 'o', tenant: `${tenant}-other` }, { expiresIn: '1h' });
      await running.push(other, {
        client_id: 'c',
        changes: [upsert('x', { v: 1 }, { collection: 'elsewhere' })],
      });
      await running.push(admin, {
        client_id: 'c',
        changes: ['tasks', 'notes', 'secret'].map((collection) =>
          upsert('d', { v: 1 }, { collection }),
        ),
      });
      const read = async (jwt: string) => {
        const response = await running.request('/sync/full', { token: jwt });
        expect(response.status).toBe(200);
        return (await response.text())
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { collection: string }).collection);
      };
      expect(await read(admin)).toEqual(['notes', 'secret', 'tasks']);
      expect(await read(user)).toEqual(['notes', 'tasks']);
    });
  });
}
