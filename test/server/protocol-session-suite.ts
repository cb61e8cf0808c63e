import { connect } from 'node:net';
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
    const extra: Running[] = [];

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store, {
        auth: { secret: SECRET, scopeClaim: 'tenant', requireExpiry: true },
      });
    });
    afterAll(async () => {
      await Promise.all(extra.map((server) => server.close()));
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
      // A new tenant: its seqs start at 0, whatever other suites wrote or pruned.
      stream.send({ type: 'subscribe', token: jwt, since: '0', collections: ['tasks'] });
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

    it('keeps client-chosen collection names out of /metrics, and asks for the metrics token', async () => {
      const open = await startServer(store, { collections: undefined, metricsToken: 'scrape-me' });
      extra.push(open);
      const jwt = await tenantToken();
      const names = Array.from({ length: 20 }, (_, index) => `tenant_secret_${index}`);
      for (const round of [0, 1]) {
        const response = await open.push(jwt, {
          client_id: `c${round}`,
          changes: names.map((collection) => ({
            ...upsert('d', { round }),
            collection,
            // The second round edits a version that is no longer current: a conflict each.
            parent_version: round === 0 ? null : '000000000000001-000000-old',
          })),
        });
        expect(response.status).toBe(200);
      }
      expect((await open.request('/metrics')).status).toBe(401);
      expect((await open.request('/metrics', { token: 'wrong' })).status).toBe(401);
      const text = await (await open.request('/metrics', { token: 'scrape-me' })).text();
      expect(text).not.toMatch(/tenant_secret/);
      expect(text).toMatch(/sync_conflict_total\{collection="_unlisted"\} 20/);
    });

    it('treats a client hanging up mid-body as its doing, not a server error', async () => {
      const errors: unknown[] = [];
      const logger = {
        info() {},
        warn() {},
        error: (...args: unknown[]) => errors.push(args),
      };
      const logged = await startServer(store, { logger });
      extra.push(logged);
      const jwt = await tenantToken();
      const socket = connect(logged.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${jwt}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"client_id":"c","changes":[`,
      );
      const failures = async () => {
        const text = await (await logged.request('/metrics')).text();
        return Number(/sync_push_total\{status="failure"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      // Authenticated and reading the body before the hang-up.
      await new Promise((resolve) => setTimeout(resolve, 200));
      socket.destroy();
      const started = Date.now();
      while ((await failures()) < 1 && Date.now() - started < 15_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await failures()).toBe(1);
      expect(errors).toEqual([]);
    });
  });
}
