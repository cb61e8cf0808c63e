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

const DAY_MS = 86_400_000;
const skew = fc.integer({ min: -DAY_MS, max: DAY_MS });

/** Every oplog change of the tenant, from the start. */
async function oplog(server: TestServer, jwt: string): Promise<Array<{ data: unknown }>> {
  const changes: Array<{ data: unknown }> = [];
  let since = '0';
  for (;;) {
    const page = (await (await server.pull(jwt, { since, limit: '1000' })).json()) as {
      changes: Array<{ data: unknown }>;
      last_seq: string;
      has_more: boolean;
    };
    changes.push(...page.changes);
    since = page.last_seq;
    if (!page.has_more) return changes;
  }
}

type NetworkStep =
  | { kind: 'disconnect' | 'reconnect'; client: number }
  | { kind: 'wait'; ms: number };

/** The steps both scenarios play alike: a client's network going down or up, and time passing. */
async function playNetworkStep(clients: readonly TestClient[], step: NetworkStep): Promise<void> {
  if (step.kind === 'wait') await new Promise((resolve) => setTimeout(resolve, step.ms));
  else if (step.kind === 'disconnect') clients[step.client]!.network.down();
  else clients[step.client]!.network.up();
}

/** Brings every client back online, then waits until each holds the server's state, nothing pending. */
async function convergeAll(
  server: TestServer,
  jwt: string,
  clients: readonly TestClient[],
  timeoutMs: number,
): Promise<void> {
  for (const { network } of clients) network.up();
  await eventually(async () => {
    for (const { client: each } of clients) await each.sync();
    const expected = await serverState(server, jwt, 'tasks');
    for (const { client: each } of clients) {
      expect(each.pendingCount()).toBe(0);
      expect(clientState(each, ['tasks'])).toEqual(expected);
    }
  }, timeoutMs);
}

describe('convergence (property-based)', () => {
  let server: TestServer;
  let serverSkewMs = 0;
  beforeAll(async () => {
    server = await startTestServer({ now: () => Date.now() + serverSkewMs });
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
              default:
                await playNetworkStep(clients, step);
            }
          }
          await convergeAll(server, jwt, clients, 10_000);
        } finally {
          await Promise.all(clients.map(({ client: each }) => each.close()));
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('converges with no lost edit when the clocks of the server and every client are off by up to a day', async () => {
    let serial = 0;
    await fc.assert(
      fc.asyncProperty(
        skew,
        fc.array(skew, { minLength: CLIENTS, maxLength: CLIENTS }),
        fc.array(action, { minLength: 1, maxLength: 30 }),
        async (serverSkew, clientSkews, actions) => {
          serverSkewMs = serverSkew;
          const jwt = await server.tenantToken();
          const clients: TestClient[] = [];
          // Each put writes a value never written before, so the oplog tells which edits landed.
          const puts: Array<{ client: number; docId: string; value: number; superseded: boolean }> =
            [];
          try {
            for (let i = 0; i < CLIENTS; i++) {
              const deviceSkew = clientSkews[i]!;
              clients.push(
                await startClient(server, jwt, {
                  live: i !== CLIENTS - 1,
                  pollIntervalMs: 50,
                  now: () => Date.now() + deviceSkew,
                }),
              );
            }
            for (const step of actions) {
              switch (step.kind) {
                case 'put':
                case 'delete': {
                  // An edit the same device makes later replaces its unsent earlier one.
                  for (const put of puts) {
                    if (put.client === step.client && put.docId === step.docId) {
                      put.superseded = true;
                    }
                  }
                  const target = clients[step.client]!.client;
                  if (step.kind === 'delete') {
                    await target.delete('tasks', step.docId);
                    break;
                  }
                  serial += 1;
                  puts.push({
                    client: step.client,
                    docId: step.docId,
                    value: serial,
                    superseded: false,
                  });
                  await target.put('tasks', step.docId, { value: serial, by: step.client });
                  break;
                }
                default:
                  await playNetworkStep(clients, step);
              }
            }
            await convergeAll(server, jwt, clients, 15_000);
            for (const each of clients) {
              expect(each.rejects).toEqual([]);
              expect(each.client.rejected()).toEqual([]);
            }
            // No lost edit: each one the device sent was stored (it is in the oplog) or lost a
            // conflict that its device was told about.
            const landed = new Set(
              (await oplog(server, jwt)).map(
                (change) => (change.data as { value?: number })?.value,
              ),
            );
            for (const put of puts) {
              if (put.superseded || landed.has(put.value)) continue;
              const told = clients[put.client]!.conflicts.some(
                (conflict) =>
                  conflict.winner === 'server' &&
                  (conflict.local.data as { value?: number } | null)?.value === put.value,
              );
              expect({ ...put, told }).toEqual({ ...put, told: true });
            }
          } finally {
            await Promise.all(clients.map(({ client: each }) => each.close()));
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 240_000);
});
