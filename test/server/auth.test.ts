import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSyncServer, type DocumentStore, type SyncServer } from '../../src/server/index.js';
import { sqliteStore } from './helpers.js';

describe('sync server auth and in-process routes', () => {
  let store: DocumentStore;
  let jwksServer: Server;
  let jwksUrl: string;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  const servers: SyncServer[] = [];

  beforeAll(async () => {
    store = sqliteStore();
    keys = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await store.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  async function make(options: Partial<Parameters<typeof createSyncServer>[0]>) {
    const server = await createSyncServer({ store, auth: false, pruneIntervalMs: 0, ...options });
    servers.push(server);
    return server;
  }

  const push = (server: SyncServer, jwt: string | null, docId = 'x') =>
    server.app.request('/sync/push', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(jwt ? { authorization: `Bearer ${jwt}` } : {}),
      },
      body: JSON.stringify({
        client_id: 'c',
        changes: [{ collection: 'tasks', operation: 'upsert', doc_id: docId, data: {} }],
      }),
    });

  it('verifies tokens against a JWKS URL, with configurable actor and scope claims', async () => {
    const server = await make({
      auth: { jwksUrl, issuer: 'https://auth.test', actorClaim: 'uid', scopeClaim: 'org' },
    });
    const sign = (claims: Record<string, unknown>, kid = 'k1') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer('https://auth.test')
        .setExpirationTime('5m')
        .sign(keys.privateKey);

    const ok = await push(server, await sign({ uid: 'u1', org: 'acme' }));
    expect(ok.status).toBe(200);
    expect((await store.getDocument('acme', 'tasks', 'x'))?.deleted).toBe(false);

    const otherKey = await generateKeyPair('RS256');
    const forged = await new SignJWT({ uid: 'u1', org: 'acme' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://auth.test')
      .sign(otherKey.privateKey);
    const refused = await push(server, forged);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('AUTH_FAILED');

    const wrongIssuer = await new SignJWT({ uid: 'u1', org: 'acme' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://evil.test')
      .sign(keys.privateKey);
    const issuer = await push(server, wrongIssuer);
    expect(issuer.status).toBe(401);
    expect(((await issuer.json()) as { error: { message: string } }).error.message).toContain(
      'iss',
    );
  });

  describe('a token already verified (remembered, not verified again per request)', () => {
    const secret = 'remembered-secret-0123456789abcdef';
    const sign = (claims: Record<string, unknown>, expiresAt: number) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(expiresAt)
        .sign(new TextEncoder().encode(secret));
    const code = async (response: Response) =>
      ((await response.json()) as { error: { code: string } }).error.code;

    afterEach(() => {
      vi.useRealTimers();
    });

    it('is refused as expired once its exp (plus the clock tolerance) has passed', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const start = Date.UTC(2026, 0, 1);
      vi.setSystemTime(start);
      const server = await make({ auth: { secret, clockToleranceSec: 5 } });
      const jwt = await sign({ sub: 'u1' }, start / 1000 + 60);
      expect((await push(server, jwt, 'r1')).status).toBe(200);
      vi.setSystemTime(start + 64_000);
      expect((await push(server, jwt, 'r2')).status).toBe(200);
      vi.setSystemTime(start + 65_000);
      const expired = await push(server, jwt, 'r3');
      expect(expired.status).toBe(401);
      expect(await code(expired)).toBe('AUTH_EXPIRED');
      expect(await store.getDocument('u1', 'tasks', 'r3')).toBeNull();
    });

    it('is verified again after a minute, and a claim changed by a hook reaches no later request', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const start = Date.UTC(2026, 0, 2);
      vi.setSystemTime(start);
      const seen: unknown[] = [];
      const server = await make({
        auth: { secret },
        authorize: ({ user }) => {
          seen.push(user.claims.role);
          (user.claims as Record<string, unknown>).role = 'changed by the hook';
          return true;
        },
      });
      const jwt = await sign({ sub: 'u2', role: 'reader' }, start / 1000 + 3600);
      expect((await push(server, jwt, 'h1')).status).toBe(200);
      expect((await push(server, jwt, 'h2')).status).toBe(200);
      vi.setSystemTime(start + 61_000);
      expect((await push(server, jwt, 'h3')).status).toBe(200);
      expect(seen).toEqual(['reader', 'reader', 'reader']);
    });

    it('is never a refused one: a forged token stays refused after the real one was accepted', async () => {
      const server = await make({ auth: { secret } });
      const exp = Math.floor(Date.now() / 1000) + 600;
      const jwt = await sign({ sub: 'u3' }, exp);
      expect((await push(server, jwt, 'f1')).status).toBe(200);
      const forged = `${jwt.slice(0, jwt.lastIndexOf('.') + 1)}${'A'.repeat(43)}`;
      for (let attempt = 0; attempt < 2; attempt++) {
        const refused = await push(server, forged, 'f2');
        expect(refused.status).toBe(401);
        expect(await code(refused)).toBe('AUTH_FAILED');
      }
      expect(await store.getDocument('u3', 'tasks', 'f2')).toBeNull();
    });
  });

  it('accepts a custom verify function', async () => {
    const server = await make({
      auth: {
        verify: ({ token }) =>
          token === 'let-me-in' ? { id: 'robot', scope: 'robots', claims: {} } : null,
      },
    });
    expect((await push(server, 'let-me-in', 'v')).status).toBe(200);
    expect(await store.getDocument('robots', 'tasks', 'v')).not.toBeNull();
    expect((await push(server, 'nope')).status).toBe(401);
    expect((await push(server, null)).status).toBe(401);
  });

  it('serves an OpenAPI 3.1 document, Prometheus metrics and a 426 for a plain GET of the stream', async () => {
    const server = await make({});
    const doc = (await (await server.app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual([
      '/sync/push',
      '/sync/pull',
      '/sync/full',
      '/sync/stream',
      '/metrics',
    ]);
    const metrics = await server.app.request('/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('# TYPE sync_push_total counter');
    expect((await server.app.request('/sync/stream')).status).toBe(426);
    expect((await server.app.request('/nowhere')).status).toBe(404);
  });

  it('refuses a configuration with no way to authenticate', async () => {
    await expect(make({ auth: {} })).rejects.toThrow(/exactly one of/);
    await expect(make({ auth: { secret: 'short' } })).rejects.toThrow(/at least 16 bytes/);
  });
});
