import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepsync } from '../support/cli.js';
import { type ServeChild, spawnServe } from './child.js';
import { openStream, SECRET, tempSqlitePath, token, upsert } from './helpers.js';

function configFile(server: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-serve-config-'));
  const path = join(dir, 'keepsync.config.ts');
  writeFileSync(
    path,
    `import { defineConfig } from 'keepsync';
export default defineConfig({ pipelines: [], server: ${server} });
`,
  );
  return path;
}

const SERVER_SECTION = `{
  auth: { scopeClaim: 'tenant' },
  collections: {
    tasks: {
      incoming: ({ user, data }) => ({ action: 'accept', data: { ...data, vendor_id: user.claims.vendor } }),
    },
    notes: { deletePolicy: 'reject_update' },
    archive: { allowFullResync: false },
  },
  authorize: ({ user, collection }) => !(collection === 'notes' && user.claims.role === 'guest'),
  resolver: ({ current }) => ({ action: 'merge', data: { ...current.data, merged: true } }),
  streamIdentity: ({ user, message }) => (message.scope === 'elsewhere' ? null : user),
  retentionDays: 7,
}`;

describe('keepsync serve configured by the server section of keepsync.config.ts', () => {
  let child: ServeChild;
  const url = () => child.url;

  beforeAll(async () => {
    child = await spawnServe(['--config', configFile(SERVER_SECTION), '--db', tempSqlitePath()], {
      KEEPSYNC_JWT_SECRET: SECRET,
    });
  }, 60_000);
  afterAll(async () => {
    child.process.kill('SIGTERM');
    await child.exited;
  });

  async function push(jwt: string, changes: unknown[]) {
    const response = await fetch(`${url()}/sync/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'c', changes }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { results: Array<Record<string, unknown>> }).results;
  }

  it('syncs the configured collections with their hook, resolver, authorize and full-resync rules', async () => {
    const jwt = await token({ sub: 'alice', tenant: 't1', vendor: 'v-9' }, { expiresIn: '1h' });
    const guest = await token({ sub: 'gus', tenant: 't1', role: 'guest' }, { expiresIn: '1h' });
    const [first] = await push(jwt, [upsert('a', { title: 'x' })]);
    expect(first).toMatchObject({ status: 'accepted' });
    // A conflicting edit goes to the configured resolver.
    const [second] = await push(jwt, [upsert('a', { title: 'y' }, { parent_version: null })]);
    expect(second).toMatchObject({
      status: 'conflict_resolved',
      document: { data: { title: 'x', vendor_id: 'v-9', merged: true } },
    });
    const [unknown] = await push(jwt, [upsert('o', { v: 1 }, { collection: 'other' })]);
    expect(unknown).toMatchObject({ status: 'rejected', code: 'COLLECTION_UNKNOWN' });
    const [forbidden] = await push(guest, [upsert('n', { v: 1 }, { collection: 'notes' })]);
    expect(forbidden).toMatchObject({ status: 'rejected', code: 'FORBIDDEN' });
    await push(jwt, [upsert('z', { v: 1 }, { collection: 'archive' })]);

    const full = await fetch(`${url()}/sync/full`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(full.status).toBe(200);
    const lines = (await full.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { collection: string; doc_id: string });
    expect(lines.map((line) => `${line.collection}/${line.doc_id}`)).toEqual(['tasks/a']);
    const archive = await fetch(`${url()}/sync/full?collections=archive`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(archive.status).toBe(403);
    expect(((await archive.json()) as { error: { code: string } }).error.code).toBe(
      'FULL_RESYNC_DISABLED',
    );
  });

  it("asks the section's streamIdentity which scope a subscription may take", async () => {
    const jwt = await token({ sub: 'alice', tenant: 't1' }, { expiresIn: '1h' });
    const allowed = await openStream(url());
    allowed.send({ type: 'subscribe', token: jwt });
    await allowed.next((message) => message.type === 'caught_up', 15_000);
    allowed.close();
    const refused = await openStream(url());
    refused.send({ type: 'subscribe', token: jwt, scope: 'elsewhere' });
    expect(await refused.closed).toMatchObject({ code: 4403, reason: 'FORBIDDEN' });
  });

  it('warns that --jwt-secret shows the secret in the process list, never logging the secret', async () => {
    expect(child.stderr()).not.toMatch(/jwt-secret/);
    const flagged = await spawnServe(['--db', tempSqlitePath(), '--jwt-secret', SECRET], {
      KEEPSYNC_LOG_LEVEL: 'info',
    });
    try {
      expect(flagged.stderr()).toMatch(/--jwt-secret puts the secret in the process arguments/);
      expect(flagged.stderr()).toMatch(/KEEPSYNC_JWT_SECRET/);
      expect(flagged.stderr()).not.toContain(SECRET);
    } finally {
      flagged.process.kill('SIGTERM');
      await flagged.exited;
    }
  }, 60_000);

  it('refuses a server section with an unknown key, naming it', async () => {
    const path = configFile(`{ colections: { tasks: {} } }`);
    const result = await keepsync(tmpdir(), '--config', path, 'serve', '--port', '0');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/server/);
    expect(result.stderr).toMatch(/colections/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
