import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/postgres.js';
import { type ServeChild, spawnServe } from './child.js';
import { openStream, SECRET, tempSqlitePath, token, upsert } from './helpers.js';

const BATCHES = 12;
const BATCH = 5;

/**
 * Two processes push concurrently into two scopes; each scope's seqs must come out 1..n, with
 * no gap and no number twice, whatever the other scope and the other process wrote.
 */
async function allocatesWithoutGaps(servers: ServeChild[]): Promise<void> {
  const scopes = ['gapless-x', 'gapless-y'];
  const tokens = await Promise.all(
    scopes.map((tenant) => token({ sub: 'u', tenant }, { expiresIn: '1h' })),
  );
  await Promise.all(
    servers.flatMap((server, s) =>
      tokens.map(async (jwt, t) => {
        for (let batch = 0; batch < BATCHES; batch++) {
          const response = await fetch(`${server.url}/sync/push`, {
            method: 'POST',
            headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              client_id: `server-${s}`,
              changes: Array.from({ length: BATCH }, (_, n) =>
                upsert(`s${s}-t${t}-b${batch}-${n}`, { batch }),
              ),
            }),
          });
          expect(response.status).toBe(200);
        }
      }),
    ),
  );
  const total = servers.length * BATCHES * BATCH;
  for (const jwt of tokens) {
    const response = await fetch(`${servers[0]!.url}/sync/pull?since=0&limit=1000`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    const answer = (await response.json()) as {
      changes: Array<{ seq: number; doc_id: string }>;
      last_seq: string;
    };
    expect(answer.changes.map((change) => change.seq)).toEqual(
      Array.from({ length: total }, (_, index) => index + 1),
    );
    expect(new Set(answer.changes.map((change) => change.doc_id)).size).toBe(total);
    expect(answer.last_seq).toBe(String(total));
  }
}

describe('several sync servers on one PostgreSQL', () => {
  const database = freshDatabase('multi');
  const children: ServeChild[] = [];
  afterAll(async () => {
    for (const child of children) child.process.kill('SIGTERM');
    await Promise.all(children.map((child) => child.exited));
    await database.drop();
  });

  it('delivers a push to one process to a WebSocket client of another (LISTEN/NOTIFY, no polling)', async () => {
    const url = await database.url();
    const args = [
      '--postgres',
      url,
      '--jwt-secret',
      SECRET,
      '--scope-claim',
      'tenant',
      '--poll-ms',
      '0',
    ];
    const a = await spawnServe(args);
    children.push(a);
    const b = await spawnServe(args);
    children.push(b);
    const jwt = await token({ sub: 'u', tenant: 'multi' }, { expiresIn: '1h' });
    const other = await token({ sub: 'v', tenant: 'other' }, { expiresIn: '1h' });

    const stream = await openStream(b.url, `?token=${jwt}`);
    stream.send({ type: 'subscribe', since: '0', collections: ['tasks'] });
    await stream.next((message) => message.type === 'caught_up');

    const started = performance.now();
    const push = (tokenText: string, docId: string) =>
      fetch(`${a.url}/sync/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenText}`, 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'on-a', changes: [upsert(docId, { from: 'a' })] }),
      });
    expect((await push(other, 'not-yours')).status).toBe(200);
    expect((await push(jwt, 'cross-process')).status).toBe(200);
    const change = await stream.next((message) => message.type === 'change', 5000);
    expect(change).toMatchObject({
      doc_id: 'cross-process',
      data: { from: 'a' },
      client_id: 'on-a',
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(stream.messages.some((message) => message.doc_id === 'not-yours')).toBe(false);
    stream.close();
  }, 60_000);

  it('numbers each scope 1..n without gaps or repeats while both processes write', async () => {
    const args = [
      '--postgres',
      await database.url(),
      '--jwt-secret',
      SECRET,
      '--scope-claim',
      'tenant',
    ];
    const servers = [await spawnServe(args), await spawnServe(args)];
    children.push(...servers);
    await allocatesWithoutGaps(servers);
  }, 120_000);
});

describe('two sync servers on one SQLite file', () => {
  const children: ServeChild[] = [];
  afterAll(async () => {
    for (const child of children) child.process.kill('SIGTERM');
    await Promise.all(children.map((child) => child.exited));
  });

  it('numbers each scope 1..n without gaps or repeats while both processes write', async () => {
    const args = ['--db', tempSqlitePath(), '--jwt-secret', SECRET, '--scope-claim', 'tenant'];
    const servers = [await spawnServe(args), await spawnServe(args)];
    children.push(...servers);
    await allocatesWithoutGaps(servers);
  }, 120_000);
});
