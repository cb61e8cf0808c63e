/// <reference lib="dom" />
import { checkEdit, checkOptions, configError, type SyncClient } from './api.js';
import { ClientClock } from './clock.js';
import { randomId } from './ids.js';
import { LiveLink } from './live-link.js';
import type { LocalStore } from './local-store.js';
import { createMemoryStore } from './memory-store.js';
import type { ConnectionState, SyncClientOptions } from './options.js';
import { PushLoop } from './push-loop.js';
import { Replica } from './replica.js';
import { SyncRounds } from './sync-rounds.js';
import { joinTabs, type TabMessage } from './tabs.js';
import { Transport } from './transport.js';
import type { DocumentData, RejectedEdit } from './types.js';
import { type DocumentFilter, DocumentView, type SubscriptionContext } from './view.js';

export type { SyncClient } from './api.js';

/** Creates a client and loads the local store into memory; call `start()` to sync. */
export async function createSyncClient(options: SyncClientOptions): Promise<SyncClient> {
  const { fetchImpl, webSocket } = checkOptions(options);
  const liveEnabled = options.live !== false && webSocket !== undefined;
  const collections = new Set(options.collections);
  const baseUrl = options.url.replace(/\/+$/, '');
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  const pullLimit = options.pullLimit ?? 1000;

  const store: LocalStore = options.store ?? createMemoryStore();
  let meta = await store.meta();
  if (meta.clientId === null) {
    await store.setClientId(randomId());
    meta = await store.meta();
  }
  const clientId = meta.clientId!;
  const clock = new ClientClock({
    node: `${clientId.slice(0, 24)}.${randomId(4)}`,
    deviceNow: options.now ?? Date.now,
    offsetMs: meta.clockOffsetMs,
  });
  const closer = new AbortController();
  const transport = new Transport({
    baseUrl,
    collections: options.collections,
    fetch: fetchImpl,
    getToken: options.getToken,
    signal: closer.signal,
    now: () => clock.deviceNow(),
    onServerClock: (serverHlc, sentAt, receivedAt) => {
      const offsetMs = clock.adopt(serverHlc, sentAt, receivedAt);
      // Stored, so edits made offline after a restart still carry the server's time.
      if (offsetMs !== null)
        exclusive(() => store.apply({ clockOffsetMs: offsetMs })).catch(reportError);
    },
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
  let rejectedEdits: RejectedEdit[] = await store.rejected();

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

  function browserOffline(): boolean {
    return (globalThis.navigator as Navigator | undefined)?.onLine === false;
  }

  // ---- local writes -------------------------------------------------------------------------

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
        hlc: clock.tick(),
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
      observe: (version) => clock.observe(version),
      refreshRejected: async () => {
        rejectedEdits = await store.rejected();
      },
      post: (message) => tabs?.post(message),
      onConflict: (context) => notify(() => options.onConflict?.(context)),
      onReject: (context) => notify(() => options.onReject?.(context)),
      pullLimit,
      fullPageSize: options.fullResyncPageSize ?? 10_000,
      signal: closer.signal,
    },
    meta,
  );

  // ---- the sync loop (leader only) -----------------------------------------------------------

  const pushLoop = new PushLoop({
    store,
    transport,
    clientId,
    batchSize: options.pushBatchSize ?? 500,
    settle: (batch, results) => replica.settle(batch, results),
    signal: closer.signal,
  });

  const rounds = new SyncRounds({
    replica,
    pushLoop,
    live: () => live,
    mayRun: () => role === 'leader' && state === 'running',
    isRunning: () => state === 'running',
    browserOffline,
    setConnection,
    reportError,
    pollIntervalMs,
    backoff: options.backoff,
  });
  const requestSync = () => rounds.request();

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
          rounds.cancelWake();
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
      rejectedEdits = await store.rejected();
    });
    if (message.type === 'outbox') void requestSync();
  }

  async function becomeLeader(): Promise<void> {
    if (state !== 'running') return;
    // Another tab led until now: start from what it stored.
    await replica.reload();
    rejectedEdits = await store.rejected();
    role = 'leader';
    void requestSync();
  }

  async function forgetRejected(editId: string): Promise<void> {
    await exclusive(async () => {
      await store.apply({ forgetRejected: [editId] });
      rejectedEdits = await store.rejected();
    });
    tabs?.post({ type: 'outbox' });
  }

  const onOnline = () => {
    rounds.resetBackoff();
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
      const copy = checkEdit(collections, collection, id, data);
      await write(collection, id, 'upsert', copy!);
      return view.get(collection, id)!;
    },
    async delete(collection, id) {
      checkEdit(collections, collection, id, undefined);
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
    rejected() {
      return [...rejectedEdits];
    },
    async retryRejected(editId) {
      const edit = rejectedEdits.find((candidate) => candidate.editId === editId);
      if (!edit) return;
      // Queued first, forgotten after: a crash in between leaves it twice, never nowhere.
      await write(edit.collection, edit.id, edit.local.operation, edit.local.data);
      await forgetRejected(editId);
    },
    dismissRejected: forgetRejected,
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
    sync: () => rounds.sync(),
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      options.signal?.removeEventListener('abort', onAbort);
      events.removeEventListener?.('online', onOnline);
      events.removeEventListener?.('offline', onOffline);
      rounds.cancelWake();
      live?.drop();
      closer.abort();
      tabs?.close();
      await rounds.running?.catch(() => {});
      await queue;
      await store.close();
    },
  };
  return client;
}
