import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import { Hlc, KeepsyncError } from '../model/index.js';
import { bearerToken, createAuthenticator } from './auth.js';
import { errorBody, isSyncHttpError, SyncHttpError } from './errors.js';
import { errorText, LiveHub } from './hub.js';
import { createSyncMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import type {
  CollectionOptions,
  SyncLogger,
  SyncOperation,
  SyncServerOptions,
  SyncUser,
} from './options.js';
import {
  COLLECTION_PATTERN,
  changeSchema,
  createDecider,
  describeZodError,
  FULL_LIMIT_MAX,
  hlcWallMs,
  lastWriterWins,
  PULL_LIMIT_DEFAULT,
  PULL_LIMIT_MAX,
  parseLimit,
  parseSince,
  prepareChange,
  pushSchema,
  type WireChange,
} from './protocol.js';
import type { ChangeResult, DocumentKey, DocumentStore } from './store/types.js';
import { handleStream } from './stream.js';
import { encodeChange, encodeDocumentLine } from './wire.js';

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
  /** @default false */
  atomic?: boolean;
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

function collectionSettings(options: SyncServerOptions): {
  allowed: Set<string> | null;
  settings: (collection: string) => CollectionOptions;
} {
  const config = options.collections;
  if (config === undefined) return { allowed: null, settings: () => ({}) };
  const entries: Array<[string, CollectionOptions]> = Array.isArray(config)
    ? (config as string[]).map((name) => [name, {}])
    : Object.entries(config as Record<string, CollectionOptions>);
  for (const [name] of entries) {
    if (!COLLECTION_PATTERN.test(name)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected collection names of 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`,
      );
    }
  }
  const map = new Map(entries);
  return { allowed: new Set(map.keys()), settings: (name) => map.get(name) ?? {} };
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

/** Reads a body of at most `max` bytes; 413 as soon as it is known to be larger. */
async function readBody(request: Request, max: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) {
    throw new SyncHttpError(
      413,
      'PAYLOAD_TOO_LARGE',
      `Expected a body of at most ${max} bytes, got ${declared}`,
    );
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new SyncHttpError(413, 'PAYLOAD_TOO_LARGE', `Expected a body of at most ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function splitList(text: string | undefined): string[] | null {
  if (text === undefined || text.trim() === '') return null;
  return [
    ...new Set(
      text
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
}

interface FullCursor {
  readonly after: DocumentKey;
  readonly lastSeq: number;
}

function encodeCursor(cursor: FullCursor): string {
  return Buffer.from(
    JSON.stringify({ c: cursor.after.collection, d: cursor.after.docId, s: cursor.lastSeq }),
  ).toString('base64url');
}

function decodeCursor(text: string): FullCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (
      typeof value.c === 'string' &&
      typeof value.d === 'string' &&
      Number.isSafeInteger(value.s)
    ) {
      return { after: { collection: value.c, docId: value.d }, lastSeq: value.s as number };
    }
  } catch {}
  throw new SyncHttpError(
    400,
    'CURSOR_INVALID',
    'Expected `cursor` to be the X-Sync-Cursor header of an earlier full resync response',
  );
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
  const { allowed, settings } = collectionSettings(options);
  const metrics = createSyncMetrics(store, options.metricsPrefix ?? 'sync_');
  const maxBodyBytes = positive(options.maxBodyBytes, 1_048_576, 'maxBodyBytes');
  const maxChanges = positive(options.maxChangesPerPush, 1000, 'maxChangesPerPush');
  const retentionMs = positive(options.retentionDays, 30, 'retentionDays') * DAY_MS;
  const pruneIntervalMs = positive(options.pruneIntervalMs, 3_600_000, 'pruneIntervalMs');
  const pageSize = positive(options.fullResyncPageSize, 1000, 'fullResyncPageSize') || 1000;
  const defaultResolver = options.resolver ?? lastWriterWins;
  const defaultDeletePolicy = options.deletePolicy ?? 'resurrect_on_update';
  const hub = new LiveHub(store, logger, (count) => metrics.pullServed.inc(count));
  await hub.start(positive(options.pollIntervalMs, 1000, 'pollIntervalMs'));

  async function resolveCollections(
    user: SyncUser,
    operation: SyncOperation,
    requested: readonly string[] | null,
  ): Promise<string[] | null> {
    let names: string[] | null = requested ? [...requested] : null;
    if (names) {
      for (const name of names) {
        if (!COLLECTION_PATTERN.test(name)) {
          throw new SyncHttpError(
            400,
            'COLLECTION_UNKNOWN',
            `Expected collection names of 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(name.slice(0, 80))}`,
          );
        }
        if (allowed && !allowed.has(name)) {
          throw new SyncHttpError(
            400,
            'COLLECTION_UNKNOWN',
            `Unknown collection \`${name}\`; this server syncs ${[...allowed].map((known) => `\`${known}\``).join(', ')}`,
          );
        }
      }
    } else if (allowed) {
      names = [...allowed];
    } else if (options.authorize) {
      throw new SyncHttpError(
        400,
        'REQUEST_INVALID',
        'Name the collections (`collections=a,b`): this server authorizes each one',
      );
    }
    if (options.authorize && names) {
      for (const collection of names) {
        if (!(await options.authorize({ user, collection, operation }))) {
          throw new SyncHttpError(
            403,
            'FORBIDDEN',
            `Not allowed to ${operation} collection \`${collection}\``,
          );
        }
      }
    }
    return names;
  }

  async function applyChanges(
    user: SyncUser,
    clientId: string,
    changes: readonly WireChange[],
    atomic: boolean,
    force: boolean,
    patches?: readonly boolean[],
  ): Promise<{ results: ChangeResult[]; lastSeq: number | null }> {
    const prepared = changes.map((change, index) => {
      const ready = { ...prepareChange(change), patch: patches?.[index] === true };
      return force && change.id === undefined ? { ...ready, idempotencyKey: null } : ready;
    });
    const decide = createDecider({
      hlc,
      user,
      collectionOptions: settings,
      defaultResolver,
      defaultDeletePolicy,
      force,
      onConflict: (collection) => metrics.conflicts.inc({ collection }),
      onResolverError: (error, collection, docId) =>
        logger.error({ collection, docId, err: errorText(error) }, 'sync conflict resolver failed'),
    });
    const outcome = await store.applyBatch(
      { scope: user.scope, clientId, changes: prepared, atomic },
      decide,
    );
    let results = outcome.results;
    if (outcome.abortedAt >= 0) {
      const culprit = outcome.results[outcome.abortedAt]!;
      results = prepared.map((change, index): ChangeResult => {
        const planned = outcome.results[index];
        if (index === outcome.abortedAt) return culprit;
        if (planned?.replayed) return planned;
        return {
          doc_id: change.docId,
          collection: change.collection,
          status: 'rejected',
          code: 'BATCH_ABORTED',
          error: `Not applied: the batch is atomic and change ${outcome.abortedAt} (${culprit.collection}/${culprit.doc_id}) was rejected`,
        };
      });
    }
    if (outcome.lastSeq !== null) hub.notify(user.scope);
    return { results, lastSeq: outcome.lastSeq };
  }

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
    app.get('/metrics', async (c) =>
      c.body(await metrics.registry.metrics(), 200, {
        'content-type': metrics.registry.contentType,
      }),
    );
  }
  app.get('/healthz', (c) => c.json({ ok: true, node }));

  app.use('/sync/*', async (c, next) => {
    c.set('user', await authenticate(bearerToken(c.req.raw), c.req.raw));
    await next();
  });

  app.post('/sync/push', async (c) => {
    const started = performance.now();
    const user = c.get('user');
    try {
      const text = await readBody(c.req.raw, maxBodyBytes);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new SyncHttpError(
          400,
          'INVALID_JSON',
          'Expected the body to be JSON: {"client_id", "changes": [...]}',
        );
      }
      const parsed = pushSchema.safeParse(json);
      if (!parsed.success) {
        throw new SyncHttpError(400, 'REQUEST_INVALID', describeZodError(parsed.error));
      }
      const body = parsed.data;
      if (body.changes.length > maxChanges) {
        throw new SyncHttpError(
          413,
          'PAYLOAD_TOO_LARGE',
          `Expected at most ${maxChanges} changes in one push, got ${body.changes.length}`,
        );
      }
      await resolveCollections(user, 'push', [
        ...new Set(body.changes.map((change) => change.collection)),
      ]);
      const { results } = await applyChanges(
        user,
        body.client_id,
        body.changes,
        body.atomic ?? options.atomicPush ?? false,
        false,
      );
      let conflicts = 0;
      let rejected = 0;
      for (const result of results) {
        if (result.status === 'conflict_resolved') conflicts++;
        else if (result.status === 'rejected') rejected++;
      }
      metrics.push.inc({ status: 'success' });
      metrics.pushChanges.inc(body.changes.length);
      metrics.pushDuration.observe((performance.now() - started) / 1000);
      const details = {
        scope: user.scope,
        actor: user.id,
        clientId: body.client_id,
        changes: body.changes.length,
        conflicts,
        rejected,
      };
      if (conflicts > 0 || rejected > 0) logger.warn(details, 'sync push had conflicts');
      else logger.debug?.(details, 'sync push');
      return c.json({ results });
    } catch (error) {
      metrics.push.inc({ status: 'failure' });
      throw error;
    }
  });

  app.get('/sync/pull', async (c) => {
    const user = c.get('user');
    metrics.pull.inc();
    const since = parseSince(c.req.query('since'));
    const limit = parseLimit(c.req.query('limit'), PULL_LIMIT_DEFAULT, PULL_LIMIT_MAX);
    const collections = await resolveCollections(
      user,
      'pull',
      splitList(c.req.query('collections')),
    );
    const retention = await store.retention();
    const resync = (reason: string) => {
      metrics.resyncRequired.inc({ reason });
      logger.info({ scope: user.scope, actor: user.id, reason }, 'sync pull: full resync required');
      return c.json({ full_resync_required: true, collections: collections ?? [], reason });
    };
    if (since.version !== null && hlcWallMs(since.version) < retention.prunedBeforeMs) {
      return resync('retention');
    }
    const seq =
      since.version !== null ? await store.seqAtVersion(user.scope, since.version) : since.seq;
    if (seq < retention.prunedThroughSeq) return resync('retention');
    const page = await store.pull({ scope: user.scope, afterSeq: seq, collections, limit });
    if (page.entries.length === 0 && seq > 0 && seq > (await store.maxSeq())) {
      return resync('unknown_cursor');
    }
    metrics.pullServed.inc(page.entries.length);
    const body = `{"changes":[${page.entries.map((entry) => encodeChange(entry)).join(',')}],"last_seq":"${page.lastSeq}","has_more":${page.hasMore}}`;
    return c.body(body, 200, { 'content-type': 'application/json' });
  });

  app.get('/sync/full', async (c) => {
    const user = c.get('user');
    const requested = splitList(c.req.query('collections'));
    if (!requested && !allowed) {
      throw new SyncHttpError(
        400,
        'REQUEST_INVALID',
        'Expected `collections`, e.g. collections=tasks,projects',
      );
    }
    const collections = (await resolveCollections(user, 'full', requested))!;
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? null : parseLimit(limitText, 1000, FULL_LIMIT_MAX);
    const cursorText = c.req.query('cursor');
    const cursor = cursorText ? decodeCursor(cursorText) : null;
    metrics.fullResync.inc();
    const snapshot = await store.openSnapshot({
      scope: user.scope,
      collections,
      after: cursor?.after ?? null,
      limit,
      pageSize,
    });
    // Later pages keep the first page's seq: pulling from it after the last page misses nothing.
    const lastSeq = cursor ? Math.min(cursor.lastSeq, snapshot.lastSeq) : snapshot.lastSeq;
    const headers: Record<string, string> = {
      'content-type': 'application/x-ndjson',
      'x-sync-lastseq': String(lastSeq),
      'cache-control': 'no-store',
      vary: 'accept-encoding',
    };
    if (snapshot.next) headers['x-sync-cursor'] = encodeCursor({ after: snapshot.next, lastSeq });
    const iterator = snapshot.pages()[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    let finished = false;
    const finish = async () => {
      if (finished) return;
      finished = true;
      await iterator.return?.();
      await snapshot.close();
    };
    let body: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const next = await iterator.next();
            if (next.done) {
              await finish();
              controller.close();
              return;
            }
            let text = '';
            for (const doc of next.value) text += encodeDocumentLine(doc);
            controller.enqueue(encoder.encode(text));
          } catch (error) {
            logger.error({ scope: user.scope, err: errorText(error) }, 'sync full resync failed');
            await finish().catch(() => {});
            controller.error(error);
          }
        },
        async cancel() {
          await finish();
        },
      },
      { highWaterMark: 1 },
    );
    if (/\bgzip\b/i.test(c.req.header('accept-encoding') ?? '')) {
      body = body.pipeThrough(
        new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>,
      );
      headers['content-encoding'] = 'gzip';
    }
    logger.info({ scope: user.scope, actor: user.id, collections, lastSeq }, 'sync full resync');
    return new Response(body, { status: 200, headers });
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
    resolveCollections,
    heartbeatMs: positive(options.heartbeatMs, 30_000, 'heartbeatMs'),
    maxSocketBufferBytes: positive(options.maxSocketBufferBytes, 1_048_576, 'maxSocketBufferBytes'),
    slowConsumerTimeoutMs: positive(options.slowConsumerTimeoutMs, 30_000, 'slowConsumerTimeoutMs'),
    authTimeoutMs: positive(options.wsAuthTimeoutMs, 10_000, 'wsAuthTimeoutMs'),
  };
  wss.on('connection', (ws, request) => handleStream(streamDeps, ws, request));

  async function prune(): Promise<{ removed: number }> {
    const { removed, state } = await store.prune(now() - retentionMs);
    if (removed > 0) {
      logger.info({ removed, prunedThroughSeq: state.prunedThroughSeq }, 'sync oplog pruned');
    }
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
      const user: SyncUser = { id: input.clientId ?? 'server', scope: input.scope, claims: {} };
      const { results } = await applyChanges(
        user,
        input.clientId ?? 'server',
        changes,
        input.atomic ?? false,
        true,
        input.changes.map((change) => change.patch === true),
      );
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
