import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import {
  createSyncServer,
  type DocumentStore,
  openSqliteDocumentStore,
  type SyncServer,
  type SyncServerOptions,
} from '../../src/server/index.js';

export const SECRET = 'keepsync-test-secret-0123456789abcdef';

export async function token(
  claims: Record<string, unknown>,
  options: { expiresIn?: string | number; secret?: string } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

export function tempSqlitePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'keepsync-sync-')), 'sync.db');
}

export function sqliteStore(): DocumentStore {
  return openSqliteDocumentStore({ path: tempSqlitePath() });
}

/** A real server on a loopback port, with helpers to talk to it as a client would. */
export interface Running {
  readonly server: SyncServer;
  readonly store: DocumentStore;
  readonly url: string;
  readonly port: number;
  request(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  push(tokenText: string, body: unknown): Promise<Response>;
  pull(tokenText: string, query?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startServer(
  store: DocumentStore,
  options: Partial<SyncServerOptions> = {},
): Promise<Running> {
  const server = await createSyncServer({
    store,
    auth: { secret: SECRET, scopeClaim: 'tenant' },
    collections: ['tasks', 'notes', 'projects'],
    pruneIntervalMs: 0,
    pollIntervalMs: 200,
    ...options,
  });
  const { port, url } = await server.listen({ port: 0, host: '127.0.0.1' });
  const request = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    return fetch(`${url}${path}`, { ...init, headers });
  };
  return {
    server,
    store,
    url,
    port,
    request,
    push: (tokenText, body) =>
      request('/sync/push', {
        method: 'POST',
        token: tokenText,
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    pull: (tokenText, query = {}) =>
      request(`/sync/pull?${new URLSearchParams(query)}`, { token: tokenText }),
    async close() {
      await server.close();
    },
  };
}

/** What a suite's tests run against: a server on a fresh store, and a token for a tenant of its own. */
export interface SuiteServer {
  readonly store: DocumentStore;
  readonly running: Running;
  readonly jwt: string;
}

/**
 * Starts a server on a fresh store before a suite's tests, with `seed` run as the suite's tenant
 * first, and closes both after them. Read its fields inside tests, once beforeAll has run.
 */
export function serveForSuite(
  makeStore: () => Promise<DocumentStore>,
  options: {
    readonly server?: Partial<SyncServerOptions>;
    readonly tenantPrefix: string;
    readonly seed: (running: Running, jwt: string) => Promise<void>;
  },
): SuiteServer {
  let store: DocumentStore | undefined;
  let running: Running | undefined;
  let jwt: string | undefined;
  beforeAll(async () => {
    store = await makeStore();
    running = await startServer(store, options.server);
    const tenant = `${options.tenantPrefix}-${Math.random().toString(36).slice(2, 8)}`;
    jwt = await token({ sub: 'u', tenant }, { expiresIn: '1h' });
    await options.seed(running, jwt);
  });
  afterAll(async () => {
    await running?.close();
    await store?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('serveForSuite: read inside a test, after beforeAll');
    return value;
  };
  return {
    get store() {
      return started(store);
    },
    get running() {
      return started(running);
    },
    get jwt() {
      return started(jwt);
    },
  };
}

/** The lines of an NDJSON body, parsed. */
export function ndjsonLines(text: string): unknown[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

/** A WebSocket client that records every message. */
export interface StreamClient {
  readonly ws: WebSocket;
  readonly messages: Array<Record<string, unknown>>;
  next(
    predicate: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  close(): void;
}

export async function openStream(url: string, query = ''): Promise<StreamClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/sync/stream${query}`);
  const messages: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const waiter of waiters) waiter();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const waiter of waiters) waiter();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let seen = 0;
  return {
    ws,
    messages,
    closed,
    send: (message) => ws.send(JSON.stringify(message)),
    close: () => ws.close(),
    next(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          while (seen < messages.length) {
            const message = messages[seen++]!;
            if (predicate(message)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(message);
              return;
            }
          }
          if (ws.readyState === WebSocket.CLOSED) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`socket closed; messages: ${JSON.stringify(messages).slice(0, 500)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; messages: ${JSON.stringify(messages).slice(0, 500)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export function upsert(
  docId: string,
  data: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    collection: 'tasks',
    operation: 'upsert',
    doc_id: docId,
    data,
    parent_version: null,
    ...extra,
  };
}
