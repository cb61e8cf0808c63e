/// <reference lib="dom" />
import { Hlc, isKeepsyncError, KeepsyncError } from '../model/index.js';
import { checkDocId, configError, type SyncClient } from './api.js';
import { backoffDelay } from './backoff.js';
import { SyncClientError } from './errors.js';
import { randomId } from './ids.js';
import type { WebSocketConstructor } from './live.js';
import { LiveLink } from './live-link.js';
import type { LocalStore } from './local-store.js';
import { createMemoryStore } from './memory-store.js';
import type { ConnectionState, SyncClientOptions } from './options.js';
import { buildPushBatch, type PushBatch } from './outbox-batch.js';
import { Replica } from './replica.js';
import { joinTabs, type TabMessage } from './tabs.js';
import { Transport } from './transport.js';
import type { DocumentData, WireResult } from './types.js';
import { type DocumentFilter, DocumentView, type SubscriptionContext } from './view.js';

export type { SyncClient } from './api.js';

/** Creates a client and loads the local store into memory; call `start()` to sync. */
export async function createSyncClient(options: SyncClientOptions): Promise<SyncClient> {
  if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
    throw configError(`Expected \`url\` to be an http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  if (!Array.isArray(options.collections) || options.collections.length === 0) {
    throw configError('Expected `collections` to name at least one collection');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
  if (!fetchImpl) throw configError('No `fetch` available: pass `fetch` in the options');
  const webSocket: WebSocketConstructor | undefined =
    options.webSocket ?? (globalThis.WebSocket as WebSocketConstructor | undefined);
  const liveEnabled = options.live !== false && webSocket !== undefined;
  const collections = new Set(options.collections);
  const baseUrl = options.url.replace(/\/+$/, '');
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  const pullLimit = options.pullLimit ?? 1000;
  let pushBatchSize = options.pushBatchSize ?? 500;

  const store: LocalStore = options.store ?? createMemoryStore();
  let meta = await store.meta();
  if (meta.clientId === null) {
    await store.setClientId(randomId());
    meta = await store.meta();
  }
  const clientId = meta.clientId!;
  const hlc = new Hlc({ node: `${clientId.slice(0, 24)}.${randomId(4)}` });
  const closer = new AbortController();
  const transport = new Transport({
    baseUrl,
    collections: options.collections,
    fetch: fetchImpl,
    getToken: options.getToken,
    signal: closer.signal,
  });

  const reportError = (error: unknown) => {
    if (closer.signal.aborted) return;
    try {
      options.onError?.({ error });
    } catch {}
  };
  const view = new DocumentView(reportError);
  view.setBase(await store.documents());
  view.setOutbox(await store.outbox());

  let state: SyncClient['state'] = 'ready';
  let role: SyncClient['role'] = 'none';
  let connection: ConnectionState = 'connecting';
  let tabs: ReturnType<typeof joinTabs> | null = null;

  // Every read-modify-write of the local store and the view runs one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  function exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = queue.then(task);
    queue = result.catch(() => {});
    return result;
  }

  function setConnection(next: ConnectionState): void {
    if (next === connection) return;
    connection = next;
    if (role === 'leader') tabs?.post({ type: 'connection', connection: next });
    try {
      options.onConnectionChange?.({ connection: next });
    } catch (error) {
      reportError(error);
    }
  }

  function observe(version: string): void {
    try {
      hlc.receive(version);
    } catch {
      // A server clock far ahead: keep ours; last-writer-wins still orders by the server.
    }
  }

  function browserOffline(): boolean {
    return (globalThis.navigator as Navigator | undefined)?.onLine === false;
  }

  // ---- local writes -------------------------------------------------------------------------

  function checkCollection(collection: string): void {
    if (!collections.has(collection)) {
      throw configError(
        `Unknown collection \`${collection}\`; this client syncs ${[...collections].map((name) => `\`${name}\``).join(', ')}`,
      );
    }
  }

  async function write(
    collection: string,
    docId: string,
    operation: 'upsert' | 'delete',
    data: DocumentData | null,
  ): Promise<void> {
    if (state === 'closed') throw configError('The sync client is closed');
    await exclusive(async () => {
      const entry = await store.enqueue({
        id: `${clientId}.${randomId(8)}`,
        collection,
        docId,
        operation,
        data,
        parentVersion: view.parentVersion(collection, docId),
        hlc: hlc.tick(),
      });
      view.addPending(entry);
    });
    if (role === 'leader') void requestSync();
    else tabs?.post({ type: 'outbox' });
  }

  function notify(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      reportError(error);
    }
  }

  const replica = new Replica(
    {
      store,
      view,
      transport,
      exclusive,
      observe,
      post: (message) => tabs?.post(message),
      onConflict: (context) => notify(() => options.onConflict?.(context)),
      onReject: (context) => notify(() => options.onReject?.(context)),
      pullLimit,
      signal: closer.signal,
    },
    meta,
  );

  // ---- the sync loop (leader only) -----------------------------------------------------------

  let unsettled: PushBatch | null = null;

  async function pushAll(): Promise<void> {
    while (!closer.signal.aborted) {
      const batch = buildPushBatch(await store.outbox(), pushBatchSize, unsettled);
      if (!batch) return;
      // Kept until answered: after a lost response the very same batch is sent again.
      unsettled = batch;
      let results: WireResult[];
      try {
        results = await transport.push(clientId, batch.changes);
      } catch (error) {
        if (error instanceof SyncClientError && error.status === 413 && pushBatchSize > 1) {
          pushBatchSize = Math.max(1, Math.floor(pushBatchSize / 2));
          unsettled = null;
          continue;
        }
        throw error;
      }
      unsettled = null;
      await replica.settle(batch, results);
    }
  }

  let round: Promise<void> | null = null;
  let again = false;
  let pullWanted = false;
  let roundError: unknown = null;
  let failures = 0;
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;

  function wakeIn(delayMs: number): void {
    clearTimeout(wakeTimer);
    wakeTimer = setTimeout(() => void requestSync(), delayMs);
  }

  function requestSync(): Promise<void> {
    if (role !== 'leader' || state !== 'running') return Promise.resolve();
    again = true;
    round ??= runRounds().finally(() => {
      round = null;
    });
    return round;
  }

  async function runRounds(): Promise<void> {
    while (again && state === 'running') {
      again = false;
      roundError = null;
      try {
        if (browserOffline()) {
          throw new SyncClientError('OFFLINE', 'The browser is offline');
        }
        // Pull first: the app sees the server's state even while a push keeps failing.
        if (replica.needsResync) await replica.fullResync();
        if (!live?.live || pullWanted) {
          pullWanted = false;
          await replica.pullAll();
        }
        await pushAll();
        failures = 0;
        if (!live?.live) {
          setConnection('online');
          wakeIn(pollIntervalMs);
        }
        live?.connect();
      } catch (error) {
        if (state !== 'running') return;
        roundError = error;
        if (isKeepsyncError(error) && error.code === 'OFFLINE') setConnection('offline');
        else reportError(error);
        // Offline in the browser: the `online` event wakes us; otherwise retry with backoff.
        if (!browserOffline()) wakeIn(backoffDelay(failures++, options.backoff));
        return;
      }
    }
  }

  // ---- the live stream (leader only) ---------------------------------------------------------

  const live = liveEnabled
    ? new LiveLink({
        url: baseUrl,
        webSocket: webSocket!,
        collections: [...collections],
        backoff: options.backoff,
        mayConnect: () =>
          role === 'leader' && state === 'running' && !replica.needsResync && !browserOffline(),
        token: () => transport.token(),
        refreshToken: () => transport.refreshToken(),
        since: () => replica.lastSeq,
        onChanges: (changes) => {
          replica.applyLive(changes).catch(reportError);
        },
        onLive: () => {
          clearTimeout(wakeTimer);
          setConnection('live');
          // Edits that failed to push while the socket was down go now, not at the next poll.
          void requestSync();
        },
        onDown: (resync) => {
          if (state !== 'running') return;
          if (connection === 'live') setConnection('online');
          if (resync) replica.needsResync = true;
          // Pull at once so nothing waits for the socket.
          void requestSync();
        },
        onError: reportError,
      })
    : null;

  // ---- tabs, online/offline ----------------------------------------------------------------

  async function onTabMessage(message: TabMessage): Promise<void> {
    if (message.type === 'connection') {
      if (role === 'follower') setConnection(message.connection as ConnectionState);
      return;
    }
    await exclusive(async () => {
      if (message.type === 'documents') {
        if (message.keys === null) {
          view.clearBase();
          view.setBase(await store.documents());
        } else {
          view.setBase(await store.documentsOf(message.keys));
        }
      }
      view.setOutbox(await store.outbox());
    });
    if (message.type === 'outbox') void requestSync();
  }

  async function becomeLeader(): Promise<void> {
    if (state !== 'running') return;
    // Another tab led until now: start from what it stored.
    await replica.reload();
    role = 'leader';
    void requestSync();
  }

  const onOnline = () => {
    failures = 0;
    live?.resetBackoff();
    void requestSync();
  };
  const onOffline = () => {
    live?.drop();
    setConnection('offline');
  };
  const events = globalThis as unknown as Partial<EventTarget>;
  const onAbort = () => void client.close();

  const client: SyncClient = {
    get state() {
      return state;
    },
    get connection() {
      return connection;
    },
    get role() {
      return role;
    },
    clientId,
    async put(collection, id, data) {
      checkCollection(collection);
      checkDocId(id);
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new KeepsyncError(
          'RECORD_INVALID',
          `Expected the data of ${collection}/${id} to be a plain object`,
        );
      }
      // A structured clone: later changes of the caller's object do not reach the outbox.
      const copy = JSON.parse(JSON.stringify(data)) as DocumentData;
      await write(collection, id, 'upsert', copy);
      return view.get(collection, id)!;
    },
    async delete(collection, id) {
      checkCollection(collection);
      checkDocId(id);
      await write(collection, id, 'delete', null);
    },
    get(collection, id) {
      return view.get(collection, id);
    },
    query(collection, filter) {
      return view.list(collection, filter);
    },
    subscribe(
      collection: string,
      filterOrCallback: DocumentFilter | undefined | ((context: SubscriptionContext) => void),
      maybeCallback?: (context: SubscriptionContext) => void,
    ) {
      const callback =
        maybeCallback ?? (filterOrCallback as (context: SubscriptionContext) => void);
      const filter = maybeCallback ? (filterOrCallback as DocumentFilter | undefined) : undefined;
      return view.subscribe(collection, filter, callback);
    },
    pendingCount() {
      return view.pendingCount();
    },
    async start() {
      if (state !== 'ready') return;
      state = 'running';
      if (options.signal?.aborted) {
        await client.close();
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      events.addEventListener?.('online', onOnline);
      events.addEventListener?.('offline', onOffline);
      if (browserOffline()) setConnection('offline');
      if (store.shared) {
        role = 'follower';
        tabs = joinTabs({
          name: store.name,
          onLeader: () => void becomeLeader().catch(reportError),
          onMessage: (message) => void onTabMessage(message).catch(reportError),
        });
      } else {
        role = 'leader';
        void requestSync();
      }
    },
    async sync() {
      if (state !== 'running' || role !== 'leader') return;
      pullWanted = true;
      await requestSync();
      if (roundError) throw roundError;
    },
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      options.signal?.removeEventListener('abort', onAbort);
      events.removeEventListener?.('online', onOnline);
      events.removeEventListener?.('offline', onOffline);
      clearTimeout(wakeTimer);
      live?.drop();
      closer.abort();
      tabs?.close();
      await round?.catch(() => {});
      await queue;
      await store.close();
    },
  };
  return client;
}
