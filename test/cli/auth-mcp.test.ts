import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mcpSecretNames } from '../../src/connectors/support/mcp/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { FakeMcpAuthServer } from '../fakes/mcp-oauth.js';
import { FakeMcp, jsonResult } from '../fakes/mcp-server.js';
import { emptyProject, startAuthFlow } from './auth-flow.js';

describe('keepsync auth mcp <url>', () => {
  it('discovers, registers, sends the person to consent with PKCE and stores the tokens encrypted', async () => {
    const authServer = await new FakeMcpAuthServer().start();
    const fake = await new FakeMcp({
      name: 'notes',
      isValidToken: (token) => authServer.isValidAccessToken(token),
      authorizationServer: () => authServer.url,
    })
      .tool('whoami', () => jsonResult('ok', { ok: true }))
      .start();
    const dir = emptyProject('keepsync-auth-mcp-');
    try {
      const flow = startAuthFlow(
        dir,
        ['auth', 'mcp', fake.url, '--connection', 'notes', '--port', '0', '--allow-loopback'],
        /(http:\/\/127\.0\.0\.1:\d+\/authorize\S+)/,
      );
      const consent = await flow.consent;
      expect(consent.searchParams.get('code_challenge_method')).toBe('S256');
      // The browser: the authorization server grants and redirects to the loopback listener.
      const grant = await fetch(consent, { redirect: 'manual' });
      const page = await fetch(grant.headers.get('location')!);
      expect(page.status).toBe(200);
      const { code, stdout, stderr } = await flow.exited;
      expect(stderr).not.toContain('Error');
      expect(code).toBe(0);
      expect(stdout).toContain('Authorized notes');
      expect(authServer.clients.size).toBe(1);

      const path = join(dir, '.keepsync', 'keepsync.db');
      const store = openSqliteStore({ path });
      const tokens = JSON.parse((await store.getSecret(mcpSecretNames('notes').tokens))!);
      await store.close();
      expect(tokens.refresh_token).toMatch(/^rt-/);
      expect(authServer.isValidAccessToken(tokens.access_token)).toBe(true);
      const raw = readFileSync(path);
      expect(raw.includes(Buffer.from(tokens.refresh_token))).toBe(false);
    } finally {
      await fake.close();
      await authServer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
