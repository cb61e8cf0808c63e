import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../src/server/index.js';
import { openStream, type Running, SECRET, startServer, token, upsert } from './helpers.js';

let tenants = 0;

/** WebSocket sessions and token lifetimes. Once per store backend. */
export function describeSessionProtocol(
  name: string,
  makeStore: () => Promise<DocumentStore>,
): void {
  describe(`sync sessions on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store, {
        auth: { secret: SECRET, scopeClaim: 'tenant', requireExpiry: true },
      });
    });
    afterAll(async () => {
      await running.close();
      await store.close();
    });

    /** `null`: a token without `exp`. */
    function tenantToken(expiresIn: string | number | null = '1h') {
      tenants += 1;
      const tenant = `session-${tenants}-${Math.random().toString(36).slice(2, 8)}`;
      return token({ sub: 'alice', tenant }, expiresIn === null ? {} : { expiresIn });
    }

    it('refuses a second subscribe on one socket, even sent at once, so no change arrives twice', async () => {
      const jwt = await tenantToken();
      const stream = await openStream(running.url);
      stream.send({ type: 'subscribe', token: jwt, since: '0', collections: ['tasks'] });
      stream.send({ type: 'subscribe', token: jwt, since: '0', collections: ['tasks'] });
      expect(await stream.closed).toEqual({ code: 4400, reason: 'REQUEST_INVALID' });
      expect(stream.messages.filter((message) => message.type === 'subscribed').length).toBe(
        stream.messages.some((message) => message.type === 'subscribed') ? 1 : 0,
      );
      expect(stream.messages).toContainEqual({
        type: 'error',
        error: { code: 'REQUEST_INVALID', message: 'This socket is already subscribed' },
      });
    });

    it('closes a live socket when its token expires, and refuses tokens without exp when asked', async () => {
      const jwt = await tenantToken(Math.floor(Date.now() / 1000) + 2);
      const stream = await openStream(running.url);
      const since = String(await store.maxSeq());
      stream.send({ type: 'subscribe', token: jwt, since, collections: ['tasks'] });
      await stream.next((message) => message.type === 'caught_up');
      const closed = await Promise.race([
        stream.closed,
        new Promise((resolve) => setTimeout(() => resolve('still open'), 20_000)),
      ]);
      expect(closed).toEqual({ code: 4401, reason: 'AUTH_EXPIRED' });

      const forever = await tenantToken(null);
      const response = await running.push(forever, {
        client_id: 'c',
        changes: [upsert('a', { v: 1 })],
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /`exp`/,
      );
    }, 30_000);
  });
}
