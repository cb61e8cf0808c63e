import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientState,
  eventually,
  serverState,
  startClient,
  startTestServer,
  type TestClient,
  type TestServer,
} from './helpers.js';

const CLIENTS = 3;
const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const docId = fc.constantFrom('d0', 'd1', 'd2', 'd3');
const action = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      client,
      docId,
      value: fc.integer({ min: 0, max: 99 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), client, docId }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), client }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      ms: fc.integer({ min: 0, max: 15 }),
    }),
  },
);

describe('convergence (property-based)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('ends with every client equal to the server after random edits, deletes, disconnects and reconnects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), async (actions) => {
        const jwt = await server.tenantToken();
        const clients: TestClient[] = [];
        try {
          for (let i = 0; i < CLIENTS; i++) {
            // One client polls instead of keeping a socket, so both paths are exercised.
            clients.push(
              await startClient(server, jwt, { live: i !== CLIENTS - 1, pollIntervalMs: 50 }),
            );
          }
          for (const step of actions) {
            switch (step.kind) {
              case 'put':
                await clients[step.client]!.client.put('tasks', step.docId, {
                  value: step.value,
                  by: step.client,
                });
                break;
              case 'delete':
                await clients[step.client]!.client.delete('tasks', step.docId);
                break;
              case 'disconnect':
                clients[step.client]!.network.down();
                break;
              case 'reconnect':
                clients[step.client]!.network.up();
                break;
              case 'wait':
                await new Promise((resolve) => setTimeout(resolve, step.ms));
                break;
            }
          }
          for (const { network } of clients) network.up();
          await eventually(async () => {
            for (const { client: each } of clients) await each.sync();
            const expected = await serverState(server, jwt, 'tasks');
            for (const { client: each } of clients) {
              expect(each.pendingCount()).toBe(0);
              expect(clientState(each, ['tasks'])).toEqual(expected);
            }
          }, 10_000);
        } finally {
          await Promise.all(clients.map(({ client: each }) => each.close()));
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
