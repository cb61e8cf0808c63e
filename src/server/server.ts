import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import { Hlc, KeepsyncError } from '../model/index.js';
import { createApplyChanges } from './apply-changes.js';
import { bearerToken, createAuthenticator, sameSecret } from './auth.js';
import { collectionRules } from './collections.js';
import { errorBody, isSyncHttpError } from './errors.js';
import { fullResyncResponse } from './full-resync.js';
import { splitList } from './http-input.js';
import { errorText, LiveHub } from './hub.js';
import { createSyncMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import type { SyncLogger, SyncOperation, SyncServerOptions, SyncUser } from './options.js';
import { changeSchema, describeZodError, lastWriterWins } from './protocol.js';
import { handlePull, handlePush } from './push-pull.js';
import type { ChangeResult, DocumentStore, SqlTransaction } from './store/types.js';
import { handleStream } from './stream.js';

const silent: SyncLogger = { info() {}, warn() {}, error() {} };
const DAY_MS = 86_400_000;

export interface ListenOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/** A server-side write: application code changing documents so clients get the change too. */
export interface ServerWrite {
  /** The tenant the documents belong to. */
  scope: string;
  changes: ReadonlyArray<{
    collection: string;
    operation: 'upsert' | 'delete';
    doc_id: string;
    data?: Record<string, unknown> | null;
    /** Given: conflict rules apply as for a client. Omitted: the write wins outright. */
    parent_version?: string | null;
    /** An idempotency key for retries of this write. */
    id?: string;
    /**
     * An upsert that merges `data` into the stored data (a deleted document counts as empty)
     * inside the transaction, so concurrent pushes of other fields are kept. A patch that
     * changes nothing writes no new version.
     * @default false
     */
    patch?: boolean;
  }>;
  /** Recorded as the oplog entries' client id. @default 'server' */
  clientId?: string;
  /**
   * Who makes this write (a user id, a job's name), recorded as the actor of every document
   * and oplog entry it writes and shown to resolvers as the user.
   * @default 'server'
   */
  actor?: string;
  /** @default false */
  atomic?: boolean;
  /**
   * The application's own pg client inside its open transaction (after `BEGIN`), on the
   * PostgreSQL store only: the documents and oplog entries are written in it, so they commit
   * or roll back with the application's own writes, and clients see them only after COMMIT.
   * Until then this write holds the store's oplog lock, so other writes wait: commit soon.
   */
  transaction?: SqlTransaction;
}

export interface SyncServer {
  /** The document store the server was created on (reads from outside, e.g. connectors). */
  readonly store: DocumentStore;
  /** The Hono app (mount it with `app.route('/', server.app)` or use `fetch`). */
  readonly app: Hono<{ Variables: { user: SyncUser } }>;
  /** The Web-standard handler: `(request) => Response`. */
  readonly fetch: (request: Request) => Promise<Response>;
  /** The HLC node id of this process. */
  readonly node: string;
  /** Attach `/sync/stream` to a Node HTTP server of yours (its `upgrade` event). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Starts a Node HTTP server with the WebSocket stream on the same port. */
  listen(options?: ListenOptions): Promise<{ server: Server; port: number; url: string }>;
  /** Writes documents from application code: one transaction with their oplog entries. */
  write(input: ServerWrite): Promise<ChangeResult[]>;
  /** Prunes the oplog now (the job does it every `pruneIntervalMs`). */
  prune(): Promise<{ removed: number }>;
  /** Stops the listener, closes sockets, stops jobs. Idempotent; does not close the store. */
  close(): Promise<void>;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved < 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`${name}\` to be a number >= 0, got ${value}`,
    );
  }
  return resolved;
}

/**
 * The offline-first sync server: push, pull, full resync, live stream, metrics and an OpenAPI
 * document, as a Web-standard fetch handler (Hono) with a thin Node listener around it.
 */
export async function createSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const store = options.store;
  const logger = options.logger ?? silent;
  const now = options.now ?? Date.now;
  const node = options.hlcNode ?? `n${randomBytes(6).toString('hex')}`;
  const hlc = new Hlc({ node, now });
  const authenticate = createAuthenticator(options.auth);
  const collections = collectionRules(options);
  const metrics = createSyncMetrics(store, options.metricsPrefix ?? 'sync_', collections.allowed);
  const maxBodyBytes = positive(options.maxBodyBytes, 1_048_576, 'maxBodyBytes');
  const maxChanges = positive(options.maxChangesPerPush, 1000, 'maxChangesPerPush');
  const retentionMs = positive(options.retentionDays, 30, 'retentionDays') * DAY_MS;
  const pruneIntervalMs = positive(options.pruneIntervalMs, 3_600_000, 'pruneIntervalMs');
  const pageSize = positive(options.fullResyncPageSize, 1000, 'fullResyncPageSize') || 1000;
  const hub = new LiveHub(store, logger, (count) => metrics.pullServed.inc(count));
  await hub.start(positive(options.pollIntervalMs, 1000, 'pollIntervalMs'));
  const applyChanges = createApplyChanges({
    store,
    hub,
    hlc,
    metrics,
    logger,
    settings: collections.settings,
    defaultResolver: options.resolver ?? lastWriterWins,
    defaultDeletePolicy: options.deletePolicy ?? 'resurrect_on_update',
  });
  const resolveCollections = collections.resolve;

  const app = new Hono<{ Variables: { user: SyncUser } }>();

  app.onError((error, c) => {
    if (isSyncHttpError(error)) {
      if (error.status >= 500)
        logger.warn({ code: error.code, err: error.message }, 'sync request failed');
      return c.json(errorBody(error.code, error.message), error.status as 400);
    }
    logger.error({ path: c.req.path, err: errorText(error) }, 'sync request failed');
    return c.json(errorBody('INTERNAL', 'The server failed to handle the request'), 500);
  });
  app.notFound((c) =>
    c.json(errorBody('NOT_FOUND', `No route ${c.req.method} ${c.req.path}`), 404),
  );

  app.get('/openapi.json', (c) => c.json(openApiDocument));
  if (options.metricsEndpoint !== false) {
    const metricsToken = options.metricsToken;
    app.get('/metrics', async (c) => {
      if (metricsToken !== undefined && !sameSecret(bearerToken(c.req.raw), metricsToken)) {
        return c.json(errorBody('AUTH_REQUIRED', 'Send the metrics token as a bearer token'), 401);
      }
      return c.body(await metrics.registry.metrics(), 200, {
        'content-type': metrics.registry.contentType,
      });
    });
  }
  app.get('/healthz', (c) => c.json({ ok: true, node }));

  app.use('/sync/*', async (c, next) => {
    c.set('user', await authenticate(bearerToken(c.req.raw), c.req.raw));
    await next();
  });

  const pushPull = {
    store,
    metrics,
    logger,
    applyChanges,
    resolveCollections,
    refusal: (user: SyncUser, operation: SyncOperation, collection: string) =>
      collections.refusal(user, operation, collection),
    incomingHook: (collection: string) =>
      collections.settings(collection).incoming ?? options.incoming,
    maxBodyBytes,
    maxChanges,
    atomicPush: options.atomicPush ?? false,
    clock: () => hlc.tick(),
  };
  app.post('/sync/push', async (c) => c.json(await handlePush(pushPull, c.get('user'), c.req.raw)));
  app.get('/sync/pull', async (c) =>
    c.body(
      await handlePull(pushPull, c.get('user'), {
        since: c.req.query('since'),
        limit: c.req.query('limit'),
        collections: splitList(c.req.query('collections')),
      }),
      200,
      { 'content-type': 'application/json' },
    ),
  );

  app.get('/sync/full', async (c) => {
    const user = c.get('user');
    const requested = splitList(c.req.query('collections'));
    return fullResyncResponse(
      { store, metrics, logger, pageSize },
      {
        user,
        collections: await collections.forFull(user, requested, () =>
          store.listCollections(user.scope),
        ),
        limit: c.req.query('limit'),
        cursor: c.req.query('cursor'),
        acceptEncoding: c.req.header('accept-encoding'),
        endMarker: c.req.query('end_marker'),
        format: c.req.query('format'),
      },
    );
  });

  app.get('/sync/stream', (c) =>
    c.json(errorBody('UPGRADE_REQUIRED', 'Open /sync/stream as a WebSocket'), 426),
  );

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const streamDeps = {
    store,
    hub,
    metrics,
    logger,
    authenticate,
    streamIdentity: options.streamIdentity,
    resolveCollections,
    heartbeatMs: positive(options.heartbeatMs, 30_000, 'heartbeatMs'),
    maxSocketBufferBytes: positive(options.maxSocketBufferBytes, 1_048_576, 'maxSocketBufferBytes'),
    slowConsumerTimeoutMs: positive(options.slowConsumerTimeoutMs, 30_000, 'slowConsumerTimeoutMs'),
    authTimeoutMs: positive(options.wsAuthTimeoutMs, 10_000, 'wsAuthTimeoutMs'),
  };
  wss.on('connection', (ws, request) => handleStream(streamDeps, ws, request));

  async function prune(): Promise<{ removed: number }> {
    const { removed, prunedBeforeMs } = await store.prune(now() - retentionMs);
    if (removed > 0) logger.info({ removed, prunedBeforeMs }, 'sync oplog pruned');
    return { removed };
  }
  let pruneTimer: NodeJS.Timeout | undefined;
  if (pruneIntervalMs > 0) {
    pruneTimer = setInterval(() => {
      prune().catch((error: unknown) =>
        logger.error({ err: errorText(error) }, 'sync oplog pruning failed'),
      );
    }, pruneIntervalMs);
    pruneTimer.unref();
  }

  const servers = new Set<Server>();
  let closed = false;

  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== '/sync/stream' || closed) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };

  return {
    store,
    app,
    fetch: async (request) => app.fetch(request),
    node,
    handleUpgrade,
    async listen(listenOptions = {}) {
      const server = createAdaptorServer({ fetch: app.fetch }) as Server;
      server.on('upgrade', handleUpgrade);
      servers.add(server);
      const host = listenOptions.host ?? '127.0.0.1';
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listenOptions.port ?? 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      logger.info({ host, port, node }, 'sync server listening');
      return { server, port, url: `http://${shown}:${port}` };
    },
    async write(input) {
      const changes = input.changes.map((change, index) => {
        const parsed = changeSchema.safeParse(change);
        if (!parsed.success) {
          throw new KeepsyncError(
            'RECORD_INVALID',
            `Server write change ${index}: ${describeZodError(parsed.error)}`,
          );
        }
        return parsed.data;
      });
      const user: SyncUser = { id: input.actor ?? 'server', scope: input.scope, claims: {} };
      const { results } = await applyChanges({
        user,
        clientId: input.clientId ?? 'server',
        changes,
        atomic: input.atomic ?? false,
        force: true,
        patches: input.changes.map((change) => change.patch === true),
        transaction: input.transaction,
      });
      return results;
    },
    prune,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(pruneTimer);
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      await hub.close();
      await Promise.all(
        [...servers].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeIdleConnections?.();
              setTimeout(() => {
                server.closeAllConnections?.();
                for (const ws of wss.clients) ws.terminate();
              }, 2000).unref();
            }),
        ),
      );
      wss.close();
    },
  };
}
