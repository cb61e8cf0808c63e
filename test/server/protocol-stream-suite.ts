import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DocumentStore,
  openApiDocument,
  type StreamIdentityContext,
} from '../../src/server/index.js';
import { openStream, type Running, type StreamClient, startServer, token } from './helpers.js';

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...openApiDocument, $id: 'openapi' });
const schema = (name: string) => {
  const validate = ajv.getSchema(`openapi#/components/schemas/${name}`);
  if (!validate) throw new Error(`No schema ${name} in the OpenAPI document`);
  return (value: unknown) => (validate(value) ? null : ajv.errorsText(validate.errors));
};
const serverMessage = schema('StreamServerMessage');
const clientMessage = schema('StreamClientMessage');
const closeCode = schema('StreamCloseCode');

let tenants = 0;

/**
 * Parity 7: the stream's scope from the subscribe message (a resolver, after the token is
 * verified), and the WebSocket protocol as the OpenAPI document states it, checked against the
 * real messages.
 */
export function describeStreamProtocol(name: string, makeStore: () => Promise<DocumentStore>) {
  describe(`sync stream identity and protocol document on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;
    const seen: StreamIdentityContext[] = [];

    beforeAll(async () => {
      store = await makeStore();
      running = await startServer(store, {
        heartbeatMs: 300,
        streamIdentity: (context) => {
          seen.push(context);
          const wanted = context.message.scope;
          if (wanted === undefined) return context.user;
          const allowed = context.user.claims.tenants;
          return Array.isArray(allowed) && allowed.includes(wanted)
            ? { ...context.user, scope: String(wanted) }
            : null;
        },
      });
    });
    afterAll(async () => {
      await running.close();
      await store.close();
    });

    /** Every test's tenants are new: their seqs start at 0, whatever other suites wrote or pruned. */
    const since = '0';
    async function names() {
      tenants += 1;
      const base = `stream-${tenants}-${Math.random().toString(36).slice(2, 8)}`;
      return { home: `${base}-home`, shop: `${base}-shop`, other: `${base}-other` };
    }

    /** Every message checked against the document, both ways. */
    function checked(stream: StreamClient) {
      return {
        send(message: Record<string, unknown>) {
          expect(clientMessage(message), JSON.stringify(message)).toBeNull();
          stream.send(message);
        },
        /** `byServer: false` when the test closed the socket itself (its code is the client's). */
        async closedWith(byServer = true) {
          const closed = await stream.closed;
          if (byServer) expect(closeCode(closed.code), String(closed.code)).toBeNull();
          for (const received of stream.messages) {
            expect(serverMessage(received), JSON.stringify(received)).toBeNull();
          }
          return closed;
        },
      };
    }

    async function write(scope: string, docId: string) {
      await running.server.write({
        scope,
        changes: [{ collection: 'tasks', operation: 'upsert', doc_id: docId, data: { scope } }],
      });
    }

    it('subscribes in the scope the subscribe message names, when the resolver allows it', async () => {
      const { home, shop } = await names();
      const jwt = await token({ sub: 'alice', tenant: home, tenants: [shop] }, { expiresIn: '1h' });
      await write(home, 'in-home');
      await write(shop, 'in-shop');
      const stream = await openStream(running.url);
      const io = checked(stream);
      io.send({ type: 'subscribe', token: jwt, since, scope: shop });
      await stream.next((message) => message.type === 'caught_up');
      await write(home, 'live-home');
      await write(shop, 'live-shop');
      await stream.next((message) => message.doc_id === 'live-shop');
      const changes = stream.messages.filter((message) => message.type === 'change');
      expect(changes.map((message) => message.doc_id)).toEqual(['in-shop', 'live-shop']);
      const context = seen.find((entry) => entry.message.scope === shop)!;
      expect(context.user).toMatchObject({ id: 'alice', scope: home });
      expect(context.message).not.toHaveProperty('token');
      io.send({ type: 'ping' });
      await stream.next((message) => message.type === 'pong');
      await stream.next((message) => message.type === 'heartbeat');
      stream.close();
      await io.closedWith(false);
    });

    it('keeps the token scope without a named one, and refuses a scope the resolver does not allow', async () => {
      const { home, shop, other } = await names();
      const jwt = await token({ sub: 'bob', tenant: home, tenants: [shop] }, { expiresIn: '1h' });
      await write(home, 'mine');
      const plain = await openStream(running.url);
      checked(plain).send({ type: 'subscribe', token: jwt, since });
      await plain.next((message) => message.type === 'caught_up');
      expect(plain.messages.filter((m) => m.type === 'change').map((m) => m.doc_id)).toEqual([
        'mine',
      ]);
      plain.close();

      const refused = await openStream(running.url);
      const io = checked(refused);
      io.send({ type: 'subscribe', token: jwt, since, scope: other });
      const closed = await io.closedWith();
      expect(closed).toMatchObject({ code: 4403, reason: 'FORBIDDEN' });
      expect(refused.messages.filter((message) => message.type === 'change')).toEqual([]);
    });

    it('still authenticates the token before asking the resolver', async () => {
      const { shop } = await names();
      const calls = seen.length;
      const forged = await token(
        { sub: 'mallory', tenant: shop, tenants: [shop] },
        { expiresIn: '1h', secret: 'not-the-server-secret-0123456789abcdef' },
      );
      const stream = await openStream(running.url);
      const io = checked(stream);
      io.send({ type: 'subscribe', token: forged, scope: shop });
      expect((await io.closedWith()).code).toBe(4401);
      expect(seen.length).toBe(calls);
    });

    it('sends what the document says for auth, errors and resyncs, and closes with its codes', async () => {
      const { home } = await names();
      const jwt = await token({ sub: 'carol', tenant: home }, { expiresIn: '1h' });
      const twice = await openStream(running.url);
      const io = checked(twice);
      io.send({ type: 'auth', token: jwt });
      await twice.next((message) => message.type === 'authenticated');
      io.send({ type: 'subscribe', since, collections: ['tasks'] });
      await twice.next((message) => message.type === 'caught_up');
      io.send({ type: 'subscribe' });
      expect(await io.closedWith()).toMatchObject({ code: 4400 });
      expect(twice.messages.map((message) => message.type)).toEqual(
        expect.arrayContaining(['authenticated', 'subscribed', 'caught_up', 'error']),
      );

      const ahead = await openStream(running.url);
      const resync = checked(ahead);
      resync.send({
        type: 'subscribe',
        token: jwt,
        since: String((await store.lastSeq(home)) + 1000),
      });
      expect(await resync.closedWith()).toMatchObject({ code: 4000 });
      expect(ahead.messages).toContainEqual(
        expect.objectContaining({ type: 'full_resync_required', reason: 'unknown_cursor' }),
      );

      const garbled = await openStream(running.url);
      garbled.ws.send('not json');
      expect(await checked(garbled).closedWith()).toMatchObject({ code: 4400 });
    });

    it('has schemas that refuse what the server never sends', () => {
      expect(serverMessage({ type: 'change', seq: 1 })).not.toBeNull();
      expect(serverMessage({ type: 'caught_up', last_seq: 3 })).not.toBeNull();
      expect(serverMessage({ type: 'hello' })).not.toBeNull();
      expect(clientMessage({ type: 'auth' })).not.toBeNull();
      expect(closeCode(4999)).not.toBeNull();
    });
  });
}
