import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { silentLogger } from '../../src/sync/index.js';

const opened: { store: Store; dashboard: Dashboard }[] = [];
afterEach(async () => {
  for (const { store, dashboard } of opened.splice(0)) {
    await dashboard.close();
    await store.close();
  }
});

async function dashboard(token?: string): Promise<Dashboard> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-access-'));
  const store = openSqliteStore({ path: join(dir, 'state.db'), secretKey: new Uint8Array(32) });
  await store.ensureUnit('contacts', 'all', new Date());
  const created = await createDashboard({
    store,
    tasks: [{ name: 'contacts', kind: 'pipeline' }],
    token,
    logger: silentLogger,
  });
  opened.push({ store, dashboard: created });
  return created;
}

const post = (path: string, headers: Record<string, string>, body = '{}') =>
  new Request(`http://127.0.0.1:8788${path}`, { method: 'POST', headers, body });

describe('who may use the dashboard', () => {
  it('answers only requests addressed to this machine when it has no token (DNS rebinding)', async () => {
    const open = await dashboard();
    const asked = (host: string) =>
      open.fetch(new Request('http://127.0.0.1:8788/api/overview', { headers: { host } }));
    expect((await asked('127.0.0.1:8788')).status).toBe(200);
    expect((await asked('localhost:8788')).status).toBe(200);
    expect((await asked('[::1]:8788')).status).toBe(200);
    expect((await asked('attacker.example:8788')).status).toBe(403);
  });

  it('takes writes only as JSON, which a cross-site form cannot send without a preflight', async () => {
    const open = await dashboard();
    const form = await open.fetch(
      post('/api/tasks/contacts/pause', { 'content-type': 'text/plain' }, 'unit=all'),
    );
    expect(form.status).toBe(415);
    const json = await open.fetch(
      post('/api/tasks/contacts/pause', { 'content-type': 'application/json' }),
    );
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ paused: ['all'] });
  });

  it('names the culprit of a bad request instead of failing with a stack', async () => {
    const open = await dashboard();
    const json = { 'content-type': 'application/json' };
    const unknown = await open.fetch(post('/api/tasks/nope/sync', json));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'No pipeline named nope (known: contacts)' });
    const typo = await open.fetch(post('/api/tasks/contacts/pause', json, '{"reasn":"x"}'));
    expect(typo.status).toBe(400);
    expect((await typo.json()).error).toMatch(/reasn/);
  });

  it('with a token, asks every route but the page for it', async () => {
    const guarded = await dashboard('s3cret');
    const get = (path: string, authorization?: string) =>
      guarded.fetch(
        new Request(`http://dash.example${path}`, {
          headers: authorization ? { authorization } : {},
        }),
      );
    expect((await get('/')).status).toBe(200);
    expect((await get('/api/overview')).status).toBe(401);
    expect((await get('/api/overview', 'Bearer wrong')).status).toBe(401);
    expect((await get('/metrics', 'Bearer s3cret')).status).toBe(200);
    expect((await get('/api/overview', 'Bearer s3cret')).status).toBe(200);
  });
});
