import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as notion from '../../src/connectors/notion/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { FakeNotion } from '../fakes/index.js';
import { emptyProject, startAuthFlow } from './auth-flow.js';

describe('keepsync auth', () => {
  it('prints the consent URL, catches the redirect on localhost and stores the tokens encrypted', async () => {
    const fake = await new FakeNotion({
      tokens: [],
      oauthClient: { clientId: 'client-1', clientSecret: 'shh' },
    }).start();
    const dir = emptyProject('keepsync-auth-');
    try {
      const flow = startAuthFlow(
        dir,
        ['auth', 'workspace', '--client-id', 'client-1', '--port', '0', '--api-url', fake.url],
        /(http:\/\/127\.0\.0\.1:\d+\/v1\/oauth\/authorize\S+)/,
        { ...process.env, KEEPSYNC_OAUTH_CLIENT_SECRET: 'shh' },
      );
      const consent = await flow.consent;
      expect(consent.searchParams.get('client_id')).toBe('client-1');
      expect(consent.searchParams.get('response_type')).toBe('code');
      // The browser: a stray favicon request first, then the redirect with the code.
      const redirect = new URL(consent.searchParams.get('redirect_uri')!);
      expect((await fetch(new URL('/favicon.ico', redirect))).status).toBe(404);
      redirect.search = new URLSearchParams({
        code: fake.issueCode(),
        state: consent.searchParams.get('state')!,
      }).toString();
      const page = await fetch(redirect);
      expect(page.status).toBe(200);
      const { code, stdout, stderr } = await flow.exited;
      expect(stderr).not.toContain('Error');
      expect(code).toBe(0);
      expect(stdout).toContain('Authorized workspace');

      const path = join(dir, '.keepsync', 'keepsync.db');
      const store = openSqliteStore({ path });
      const names = notion.secretNames('workspace');
      const access = await store.getSecret(names.access);
      const refresh = await store.getSecret(names.refresh);
      await store.close();
      expect(access).toMatch(/^ntn_/);
      expect(refresh).toMatch(/^nrt_/);
      // At rest the tokens are ciphertext only.
      const raw = readFileSync(path);
      expect(raw.includes(Buffer.from(access!))).toBe(false);
      expect(raw.includes(Buffer.from(refresh!))).toBe(false);
    } finally {
      await fake.close();
    }
  }, 60_000);
});
