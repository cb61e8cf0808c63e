import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Authenticate } from './auth.js';
import { isSyncHttpError, type SyncErrorCode } from './errors.js';
import { errorText, type LiveHub, type LiveSubscriber } from './hub.js';
import type { SyncMetrics } from './metrics.js';
import type { StreamIdentityResolver, SyncLogger, SyncOperation, SyncUser } from './options.js';
import { hlcWallMs, parseSince } from './protocol.js';
import type { DocumentStore, OplogEntry } from './store/types.js';
import { encodeChange } from './wire.js';

export interface StreamDeps {
  readonly store: DocumentStore;
  readonly hub: LiveHub;
  readonly metrics: SyncMetrics;
  readonly logger: SyncLogger;
  readonly authenticate: Authenticate;
  readonly streamIdentity: StreamIdentityResolver | undefined;
  readonly resolveCollections: (
    user: SyncUser,
    operation: SyncOperation,
    requested: readonly string[] | null,
  ) => Promise<string[] | null>;
  readonly heartbeatMs: number;
  readonly maxSocketBufferBytes: number;
  readonly slowConsumerTimeoutMs: number;
  readonly authTimeoutMs: number;
}

/** WebSocket close codes of the stream. */
export const CLOSE = {
  fullResync: 4000,
  badRequest: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  authTimeout: 4408,
  internal: 1011,
} as const;

const BACKLOG_PAGE = 500;

/** The identity a subscription runs as: the resolver's pick, checked, or the token's own. */
async function subscriberIdentity(
  resolve: StreamIdentityResolver | undefined,
  user: SyncUser,
  message: Record<string, unknown>,
): Promise<SyncUser | null> {
  if (!resolve) return user;
  const { token: _token, ...shown } = message;
  const picked = await resolve({ user, message: shown });
  if (picked === null || picked === undefined) return null;
  if (
    typeof picked !== 'object' ||
    typeof picked.id !== 'string' ||
    !picked.id ||
    typeof picked.scope !== 'string' ||
    !picked.scope
  ) {
    throw new Error('Expected `streamIdentity` to return { id, scope, claims } or null');
  }
  return { id: picked.id, scope: picked.scope, claims: picked.claims ?? user.claims };
}

/** Handles one `/sync/stream` socket: auth, subscribe, backlog, live, heartbeat, slow consumers. */
export function handleStream(deps: StreamDeps, ws: WebSocket, request: IncomingMessage): void {
  const { metrics, logger, store, hub } = deps;
  metrics.websockets.inc();
  let user: SyncUser | null = null;
  let authenticating: Promise<SyncUser | null> | null = null;
  let sub: (LiveSubscriber & { catchingUp: boolean }) | null = null;
  /** Set at the first subscribe message, before its async steps: a second one is refused. */
  let subscribing = false;
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let alive = true;

  const send = (message: object) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const fail = (code: SyncErrorCode | string, message: string, closeCode: number) => {
    send({ type: 'error', error: { code, message } });
    ws.close(closeCode, code);
    closed = true;
  };
  const resync = (collections: readonly string[] | null, reason: string) => {
    metrics.resyncRequired.inc({ reason });
    logger.info({ scope: user?.scope, reason }, 'sync stream: full resync required');
    send({ type: 'full_resync_required', collections: collections ?? [], reason });
    ws.close(CLOSE.fullResync, 'full_resync_required');
    closed = true;
  };

  const authTimer = setTimeout(() => {
    if (!user) fail('AUTH_REQUIRED', 'Authenticate within the time allowed', CLOSE.authTimeout);
  }, deps.authTimeoutMs);
  authTimer.unref();

  const heartbeat = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
    send({ type: 'heartbeat' });
  }, deps.heartbeatMs);
  heartbeat.unref();
  ws.on('pong', () => {
    alive = true;
  });

  /** A token is checked once, so the socket ends when it expires; the client reconnects with a fresh one. */
  const closeAtExpiry = (verified: SyncUser) => {
    const exp = verified.claims.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return;
    const arm = () => {
      const left = exp * 1000 - Date.now();
      if (left <= 0) {
        if (!closed)
          fail('AUTH_EXPIRED', 'The token has expired; get a fresh one', CLOSE.unauthorized);
        return;
      }
      // Timers take at most ~24.8 days; a longer-lived token is re-armed.
      expiryTimer = setTimeout(arm, Math.min(left, 2_000_000_000));
      expiryTimer.unref();
    };
    arm();
  };

  const authenticate = (token: string | null): Promise<SyncUser | null> => {
    authenticating ??= deps.authenticate(token).then(
      (verified) => {
        user = verified;
        clearTimeout(authTimer);
        closeAtExpiry(verified);
        return verified;
      },
      (error: unknown) => {
        if (isSyncHttpError(error)) fail(error.code, error.message, CLOSE.unauthorized);
        else fail('INTERNAL', 'Authentication failed unexpectedly', CLOSE.internal);
        return null;
      },
    );
    return authenticating;
  };

  const url = new URL(request.url ?? '/', 'http://localhost');
  const queryToken = url.searchParams.get('token');
  if (queryToken) void authenticate(queryToken);

  /** Waits until the socket's queue is below the mark; false if it never got there in time. */
  const drained = async (): Promise<boolean> => {
    const started = Date.now();
    let wait = 5;
    while (ws.readyState === ws.OPEN && ws.bufferedAmount > deps.maxSocketBufferBytes / 2) {
      if (Date.now() - started > deps.slowConsumerTimeoutMs) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 100);
    }
    return ws.readyState === ws.OPEN;
  };

  const catchUp = async (
    current: LiveSubscriber & { catchingUp: boolean },
    channel: { tail(): number; ready: Promise<void> },
    collections: string[] | null,
    first: boolean,
  ): Promise<void> => {
    if (current.catchingUp) return;
    current.catchingUp = true;
    try {
      await channel.ready;
      while (!closed) {
        if (!(await drained())) {
          if (!closed && ws.readyState === ws.OPEN) {
            metrics.resyncRequired.inc({ reason: 'slow_consumer' });
            logger.warn({ scope: current.scope }, 'sync stream: slow consumer dropped');
            send({
              type: 'full_resync_required',
              collections: collections ?? [],
              reason: 'slow_consumer',
            });
            ws.close(CLOSE.fullResync, 'slow_consumer');
            closed = true;
          }
          return;
        }
        const retention = await store.retention(current.scope);
        if (current.cursor < retention.prunedThroughSeq) {
          resync(collections, 'retention');
          return;
        }
        const page = await store.pull({
          scope: current.scope,
          afterSeq: current.cursor,
          collections,
          limit: BACKLOG_PAGE,
        });
        if (closed) return;
        for (const entry of page.entries) ws.send(encodeChange(entry, true));
        if (page.entries.length > 0) metrics.pullServed.inc(page.entries.length);
        current.cursor = Math.max(current.cursor, page.lastSeq);
        if (!page.hasMore && current.cursor >= channel.tail()) {
          current.live = true;
          if (first) send({ type: 'caught_up', last_seq: String(current.cursor) });
          return;
        }
      }
    } catch (error) {
      logger.error({ scope: current.scope, err: errorText(error) }, 'sync stream backlog failed');
      fail('INTERNAL', 'The stream failed; reconnect', CLOSE.internal);
    } finally {
      current.catchingUp = false;
    }
  };

  const subscribe = async (message: Record<string, unknown>): Promise<void> => {
    if (subscribing) {
      fail('REQUEST_INVALID', 'This socket is already subscribed', CLOSE.badRequest);
      return;
    }
    subscribing = true;
    const token = typeof message.token === 'string' ? message.token : null;
    const verified = user ?? (await authenticate(token));
    if (!verified || closed) return;
    let who: SyncUser;
    let collections: string[] | null;
    let seq: number;
    try {
      const resolved = await subscriberIdentity(deps.streamIdentity, verified, message);
      if (closed) return;
      if (!resolved) {
        fail('FORBIDDEN', 'This subscription is not allowed for the caller', CLOSE.forbidden);
        return;
      }
      who = resolved;
      const requested = message.collections;
      if (
        requested !== undefined &&
        requested !== null &&
        !(Array.isArray(requested) && requested.every((name) => typeof name === 'string'))
      ) {
        fail('REQUEST_INVALID', 'Expected `collections` to be an array of names', CLOSE.badRequest);
        return;
      }
      collections = await deps.resolveCollections(who, 'stream', (requested as string[]) ?? null);
      const since = parseSince(
        message.since === undefined || message.since === null ? null : String(message.since),
      );
      if (since.foreign) {
        resync(collections, 'foreign_version');
        return;
      }
      const retention = await store.retention(who.scope);
      if (since.version !== null && hlcWallMs(since.version) < retention.prunedBeforeMs) {
        resync(collections, 'retention');
        return;
      }
      seq = since.version !== null ? await store.seqAtVersion(who.scope, since.version) : since.seq;
      if (seq < retention.prunedThroughSeq) {
        resync(collections, 'retention');
        return;
      }
      if (seq > 0 && seq > (await store.lastSeq(who.scope))) {
        resync(collections, 'unknown_cursor');
        return;
      }
    } catch (error) {
      if (isSyncHttpError(error)) {
        fail(error.code, error.message, error.status === 403 ? CLOSE.forbidden : CLOSE.badRequest);
      } else {
        logger.error({ err: errorText(error) }, 'sync stream subscribe failed');
        fail('INTERNAL', 'The subscription failed; reconnect', CLOSE.internal);
      }
      return;
    }
    if (closed) return;
    const wanted = collections ? new Set(collections) : null;
    let channel: { tail(): number; ready: Promise<void> };
    const current: LiveSubscriber & { catchingUp: boolean } = {
      scope: who.scope,
      collections: wanted,
      cursor: seq,
      live: false,
      catchingUp: false,
      deliver(entry: OplogEntry, frame: Buffer) {
        if (closed || ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > deps.maxSocketBufferBytes) {
          // Too far behind to push to: read the oplog at the socket's own pace instead.
          current.live = false;
          void catchUp(current, channel, collections, false);
          return;
        }
        ws.send(frame, { binary: false });
        current.cursor = entry.seq;
      },
    };
    sub = current;
    channel = hub.add(current);
    send({ type: 'subscribed', since: String(seq), collections: collections ?? null });
    logger.info({ scope: who.scope, actor: who.id, since: seq }, 'sync stream subscribed');
    await catchUp(current, channel, collections, true);
  };

  ws.on('message', (raw, isBinary) => {
    if (closed) return;
    let message: unknown;
    try {
      message = JSON.parse(isBinary ? Buffer.from(raw as Buffer).toString('utf8') : String(raw));
    } catch {
      fail('INVALID_JSON', 'Expected each message to be a JSON object', CLOSE.badRequest);
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      fail('REQUEST_INVALID', 'Expected each message to be a JSON object', CLOSE.badRequest);
      return;
    }
    const body = message as Record<string, unknown>;
    switch (body.type) {
      case 'auth':
        if (typeof body.token !== 'string') {
          fail('AUTH_REQUIRED', 'Expected `token` in the auth message', CLOSE.unauthorized);
          return;
        }
        void authenticate(body.token).then((who) => {
          if (who) send({ type: 'authenticated', actor: who.id });
        });
        return;
      case 'subscribe':
        void subscribe(body);
        return;
      case 'ping':
        send({ type: 'pong' });
        return;
      default:
        fail(
          'REQUEST_INVALID',
          `Expected \`type\` to be auth, subscribe or ping, got ${JSON.stringify(body.type)}`,
          CLOSE.badRequest,
        );
    }
  });

  ws.on('error', (error) => {
    logger.warn({ err: errorText(error) }, 'sync stream socket error');
  });
  ws.on('close', () => {
    closed = true;
    clearTimeout(authTimer);
    clearTimeout(expiryTimer);
    clearInterval(heartbeat);
    metrics.websockets.dec();
    if (sub) hub.remove(sub);
  });
}
