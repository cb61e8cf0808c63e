import WebSocket from 'ws';
import {
  createMemoryStore,
  createSyncClient,
  type LocalStore,
  type SyncClient,
  type SyncClientOptions,
  type WebSocketConstructor,
} from '../../src/client/index.js';
import type { SyncServerOptions } from '../../src/server/index.js';
import { type Running, sqliteStore, startServer, token } from '../server/helpers.js';

export { token };

/** A switchable network between a client and the server: when down, requests and sockets fail. */
export interface Network {
  readonly fetch: typeof fetch;
  readonly WebSocket: WebSocketConstructor;
  /** Requests made while up, by path (`/sync/push`, ...). */
  readonly requests: string[];
  readonly isDown: boolean;
  down(): void;
  up(): void;
  /** Lets the next request of `path` reach the server but loses its response. */
  loseNextResponse(path: string): void;
}

export function createNetwork(): Network {
  let isDown = false;
  const sockets = new Set<WebSocket>();
  const requests: string[] = [];
  const losing = new Set<string>();
  class SwitchedWebSocket extends WebSocket {
    constructor(url: string) {
      // Port 1 refuses connections: the socket fails the way it does without a network.
      super(isDown ? 'ws://127.0.0.1:1/sync/stream' : url);
      sockets.add(this);
      this.on('close', () => sockets.delete(this));
    }
  }
  return {
    requests,
    get isDown() {
      return isDown;
    },
    async fetch(input, init) {
      if (isDown) throw new TypeError('fetch failed');
      const path = new URL(String(input)).pathname;
      requests.push(path);
      const response = await fetch(input, init);
      if (losing.delete(path)) {
        await response.arrayBuffer();
        throw new TypeError('fetch failed');
      }
      return response;
    },
    WebSocket: SwitchedWebSocket as unknown as WebSocketConstructor,
    down() {
      isDown = true;
      for (const socket of sockets) socket.terminate();
    },
    up() {
      isDown = false;
    },
    loseNextResponse(path) {
      losing.add(path);
    },
  };
}

export interface TestServer extends Running {
  tenantToken(sub?: string): Promise<string>;
}

let tenants = 0;

/** A real sync server on loopback (SQLite in a temp dir); each test gets its own tenant. */
export async function startTestServer(
  options: Partial<SyncServerOptions> = {},
): Promise<TestServer> {
  const running = await startServer(sqliteStore(), { pollIntervalMs: 100, ...options });
  const close = running.close;
  return {
    ...running,
    async close() {
      await close();
      await running.store.close();
    },
    tenantToken: (sub = 'alice') => {
      tenants += 1;
      return token({ sub, tenant: `client-${tenants}-${process.pid}` }, { expiresIn: '1h' });
    },
  };
}

export interface TestClient {
  readonly client: SyncClient;
  readonly network: Network;
  readonly conflicts: Parameters<NonNullable<SyncClientOptions['onConflict']>>[0][];
  readonly rejects: Parameters<NonNullable<SyncClientOptions['onReject']>>[0][];
  readonly errors: unknown[];
}

export async function startClient(
  server: TestServer,
  jwt: string,
  options: Partial<SyncClientOptions> & { store?: LocalStore } = {},
): Promise<TestClient> {
  const network = createNetwork();
  const conflicts: TestClient['conflicts'] = [];
  const rejects: TestClient['rejects'] = [];
  const errors: unknown[] = [];
  const client = await createSyncClient({
    url: server.url,
    collections: ['tasks', 'notes', 'projects'],
    store: options.store ?? createMemoryStore(),
    getToken: () => jwt,
    fetch: network.fetch,
    webSocket: network.WebSocket,
    pollIntervalMs: 200,
    backoff: { initialMs: 20, maxMs: 200 },
    onConflict: (context) => conflicts.push(context),
    onReject: (context) => rejects.push(context),
    onError: ({ error }) => errors.push(error),
    ...options,
  });
  await client.start();
  return { client, network, conflicts, rejects, errors };
}

/** Polls until `check` passes (or throws its last failure after `timeoutMs`). */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 5000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** The server's visible documents of a tenant, as `collection/id -> data`. */
export async function serverState(
  server: TestServer,
  jwt: string,
  collections = 'tasks,notes,projects',
): Promise<Record<string, unknown>> {
  const response = await server.request(`/sync/full?collections=${collections}`, { token: jwt });
  const text = await response.text();
  const state: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    if (!line) continue;
    const row = JSON.parse(line) as {
      collection: string;
      doc_id: string;
      deleted: boolean;
      data: unknown;
    };
    if (!row.deleted) state[`${row.collection}/${row.doc_id}`] = row.data;
  }
  return state;
}

/** A client's visible documents in the same shape as `serverState`. */
export function clientState(client: SyncClient, collections = ['tasks', 'notes', 'projects']) {
  const state: Record<string, unknown> = {};
  for (const collection of collections) {
    for (const doc of client.query(collection)) state[`${collection}/${doc.id}`] = doc.data;
  }
  return state;
}
