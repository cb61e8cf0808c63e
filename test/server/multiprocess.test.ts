import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/postgres.js';
import { type ServeChild, spawnServe } from './child.js';
import { openStream, SECRET, token, upsert } from './helpers.js';

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
});
