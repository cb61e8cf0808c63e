import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  authorizeMcp,
  connectMcp,
  endpointRefusal,
  mcpSecretNames,
} from '../../../src/connectors/support/mcp/index.js';
import { isAuthError } from '../../../src/model/index.js';
import { openSqliteStore, type Store } from '../../../src/store/index.js';
import { FakeMcpAuthServer } from '../../fakes/mcp-oauth.js';
import { FakeMcp, jsonResult } from '../../fakes/mcp-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let connections = 0;

async function setup() {
  const authServer = await new FakeMcpAuthServer().start();
  const fake = await new FakeMcp({
    name: 'notes',
    isValidToken: (token) => authServer.isValidAccessToken(token),
    authorizationServer: () => authServer.url,
  })
    .tool('whoami', () => jsonResult('ok', { ok: true }))
    .start();
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-mcp-oauth-'));
  const path = join(dir, 'state.db');
  const store = openSqliteStore({ path, secretKey: new Uint8Array(32).fill(5) });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => authServer.close(),
    () => fake.close(),
    () => store.close(),
  );
  const connection = `notes-${process.pid}-${++connections}`;
  return { authServer, fake, store, path, connection };
}

/** The person's browser: opens the consent URL, the fake grants, the redirect carries the code. */
async function authorize(
  store: Store,
  connection: string,
  serverUrl: string,
  extra: { allowHosts?: string[] } = {},
) {
  let consent: URL | undefined;
  await authorizeMcp({
    serverUrl,
    connection,
    store,
    allowLoopback: true,
    ...extra,
    redirectUrl: 'http://127.0.0.1:1/callback',
    state: 'state-123',
    onAuthorizationUrl: (url) => {
      consent = url;
    },
    async waitForCode() {
      const answer = await fetch(consent!, { redirect: 'manual' });
      const location = new URL(answer.headers.get('location')!);
      expect(location.searchParams.get('state')).toBe('state-123');
      return location.searchParams.get('code')!;
    },
  });
  return consent!;
}

describe('OAuth 2.1 for MCP servers', () => {
  it('discovers from the 401, registers, authorizes with PKCE S256 and stores the tokens encrypted', async () => {
    const { authServer, fake, store, path, connection } = await setup();
    const consent = await authorize(store, connection, fake.url);
    expect(authServer.clients.size).toBe(1);
    expect(consent.origin).toBe(authServer.url);
    expect(consent.searchParams.get('code_challenge_method')).toBe('S256');
    expect(consent.searchParams.get('resource')).toBe(fake.url);
    const tokens = JSON.parse((await store.getSecret(mcpSecretNames(connection).tokens))!);
    expect(tokens.access_token).toMatch(/^at-/);
    expect(tokens.refresh_token).toMatch(/^rt-/);
    // At rest: ciphertext only.
    const raw = readFileSync(path);
    expect(raw.includes(Buffer.from(tokens.access_token))).toBe(false);
    expect(raw.includes(Buffer.from(tokens.refresh_token))).toBe(false);

    const client = await connectMcp({
      url: fake.url,
      auth: { connection, store },
      allowLoopback: true,
    });
    cleanups.push(() => client.close());
    expect((await client.call('whoami', {})).json).toEqual({ ok: true });
  });

  it('refreshes once for many concurrent 401s and keeps the rotated refresh token', async () => {
    const { authServer, fake, store, connection } = await setup();
    await authorize(store, connection, fake.url);
    const client = await connectMcp({
      url: fake.url,
      auth: { connection, store },
      allowLoopback: true,
      requestsPerSecond: 100,
      concurrency: 4,
    });
    cleanups.push(() => client.close());
    await client.call('whoami', {});
    const before = JSON.parse((await store.getSecret(mcpSecretNames(connection).tokens))!);
    authServer.expireAccessTokens();
    const results = await Promise.all([1, 2, 3, 4].map(() => client.call('whoami', {})));
    expect(results.every((result) => (result.json as { ok: boolean }).ok)).toBe(true);
    expect(authServer.refreshes).toBe(1);
    expect(authServer.reuses).toBe(0);
    const after = JSON.parse((await store.getSecret(mcpSecretNames(connection).tokens))!);
    expect(after.refresh_token).not.toBe(before.refresh_token);
  });

  it('a spent refresh token presented again is refused: the unit pauses naming the command', async () => {
    const { authServer, fake, store, connection } = await setup();
    await authorize(store, connection, fake.url);
    const names = mcpSecretNames(connection);
    const stale = (await store.getSecret(names.tokens))!;
    const client = await connectMcp({
      url: fake.url,
      auth: { connection, store },
      allowLoopback: true,
    });
    cleanups.push(() => client.close());
    authServer.expireAccessTokens();
    await client.call('whoami', {});
    // A restored backup (or a thief) brings back the spent refresh token.
    await store.putSecret(names.tokens, stale);
    authServer.expireAccessTokens();
    const error = await client.call('whoami', {}).catch((caught) => caught);
    expect(isAuthError(error)).toBe(true);
    expect((error as Error).message).toContain('keepsync auth mcp');
    expect(authServer.reuses).toBe(1);
  });

  it('refuses a discovered endpoint outside the server domain (SSRF guard), sending nothing there', async () => {
    const { authServer, fake, store, connection } = await setup();
    const elsewhere = authServer.url.replace('127.0.0.1', 'localhost');
    authServer.metadataOverride = { token_endpoint: `${elsewhere}/token` };
    // Loopback is allowed (a test), but `localhost` is another host than the server's 127.0.0.1.
    const error = await authorize(store, connection, fake.url).catch((caught) => caught);
    expect(isAuthError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Refused the MCP endpoint/);
    expect(authServer.server.count({ path: /\/token$/ })).toBe(0);
    expect(await store.getSecret(mcpSecretNames(connection).tokens)).toBeNull();
  });
});

describe('endpoint guard', () => {
  const policy = { serverUrl: 'https://mcp.notion.com/mcp' };
  const refusal = (url: string, extra = {}) =>
    endpointRefusal(new URL(url), { ...policy, ...extra });

  it('allows https on the server registrable domain, and allow-listed hosts', () => {
    expect(refusal('https://api.notion.com/v1/oauth/token')).toBeUndefined();
    expect(
      refusal('https://auth.example.org/token', { allowHosts: ['auth.example.org'] }),
    ).toBeUndefined();
  });

  it('refuses http, other domains, look-alike suffixes, IPs and loopback', () => {
    expect(refusal('http://mcp.notion.com/token')).toMatch(/not https/);
    expect(refusal('https://notion.com.evil.example/token')).toMatch(/outside notion.com/);
    expect(refusal('https://169.254.169.254/latest/meta-data')).toMatch(/bare IP/);
    expect(refusal('http://127.0.0.1:8080/token')).toMatch(/loopback/);
    expect(refusal('http://localhost/token')).toMatch(/loopback/);
    // A public suffix is not a shared domain: two tenants of one suffix are strangers.
    expect(
      endpointRefusal(new URL('https://other.github.io/t'), {
        serverUrl: 'https://me.github.io/mcp',
      }),
    ).toMatch(/outside/);
  });
});
