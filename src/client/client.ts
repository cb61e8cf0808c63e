/// <reference lib="dom" />
import { Hlc, isKeepsyncError, KeepsyncError } from '../model/index.js';
import { backoffDelay } from './backoff.js';
import { SyncClientError } from './errors.js';
import { randomId } from './ids.js';
import { type LiveEnd, openLive, type WebSocketConstructor } from './live.js';
import { isNewer, type LocalStore } from './local-store.js';
import { createMemoryStore } from './memory-store.js';
import type {
  ConflictContext,
  ConnectionState,
  RejectContext,
  SyncClientOptions,
} from './options.js';
import { buildPushBatch, type PushBatch } from './outbox-batch.js';
import { joinTabs, type TabMessage } from './tabs.js';
import { Transport } from './transport.js';
import {
  type BaseDocument,
  type ClientDocument,
  changeToBase,
  type DocumentData,
  type WireChange,
  type WireResult,
} from './types.js';
import { type DocumentFilter, DocumentView, type SubscriptionContext } from './view.js';

/** An offline-first sync client: reads and writes locally, syncs in the background. */
export interface SyncClient {
  /** `ready` after creation, `running` after `start()`, `closed` after `close()`. */
  readonly state: 'ready' | 'running' | 'closed';
  readonly connection: ConnectionState;
  /** `leader`: this tab runs the sync loop; `follower`: another tab of the app does. */
  readonly role: 'leader' | 'follower' | 'none';
  /** This device's `client_id` (shared by the tabs of one local database). */
  readonly clientId: string;
  /** Writes a whole document locally at once; it is pushed in the background. */
  put(collection: string, id: string, data: DocumentData): Promise<ClientDocument>;
  /** Deletes a document locally at once; the delete is pushed in the background. */
  delete(collection: string, id: string): Promise<void>;
  get(collection: string, id: string): ClientDocument | undefined;
  /** The visible documents of a collection (optionally filtered), in id order. */
  query(collection: string, filter?: DocumentFilter): ClientDocument[];
  /** Calls back now and whenever the collection changes; returns the unsubscribe function. */
  subscribe(
    collection: string,
    filter: DocumentFilter | undefined,
    callback: (context: SubscriptionContext) => void,
  ): () => void;
  subscribe(collection: string, callback: (context: SubscriptionContext) => void): () => void;
  /** Local edits not yet accepted by the server. */
  pendingCount(): number;
  /** Starts syncing (leader election, sync loop, live stream). */
  start(): Promise<void>;
  /** Pushes and pulls now; rejects if the round failed (it is retried in the background). */
  sync(): Promise<void>;
  /** Stops syncing and closes the local store. Idempotent. */
  close(): Promise<void>;
}

function configError(message: string): KeepsyncError {
  return new KeepsyncError('CONFIG_INVALID', message);
}

function checkDocId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 512 || id.includes('\u0000')) {
    throw new KeepsyncError(
      'RECORD_INVALID',
      `Expected a document id of 1-512 characters without NUL, got ${JSON.stringify(id)}`,
    );
  }
}

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
  let lastSeq = meta.lastSeq;
  let needsResync = meta.resyncing || meta.lastSeq === '0';
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

  // ---- applying server state ----------------------------------------------------------------

  function showBase(documents: readonly BaseDocument[]): void {
    for (const doc of documents) {
      if (isNewer(doc, view.base(doc.collection, doc.docId))) view.setBase([doc]);
    }
  }

  function maxSeq(current: string, changes: readonly WireChange[]): string {
    let top = Number(current);
    for (const change of changes) if (change.seq > top) top = change.seq;
    return String(top);
  }

  async function applyRemote(changes: readonly WireChange[], cursor: string): Promise<void> {
    if (changes.length === 0 && cursor === lastSeq) return;
    await exclusive(async () => {
      const documents = changes.map(changeToBase);
      for (const doc of documents) observe(doc.version);
      const next = String(Math.max(Number(lastSeq), Number(cursor)));
      await store.apply({ documents, lastSeq: next });
      lastSeq = next;
      showBase(documents);
    });
    if (changes.length > 0) {
      tabs?.post({
        type: 'documents',
        keys: changes.map((change) => ({ collection: change.collection, docId: change.doc_id })),
      });
    }
  }

  async function settle(batch: PushBatch, results: readonly WireResult[]): Promise<void> {
    const conflicts: ConflictContext[] = [];
    const rejects: RejectContext[] = [];
    await exclusive(async () => {
      const documents: BaseDocument[] = [];
      const remove: string[] = [];
      const reparent: Array<{
        collection: string;
        docId: string;
        from: string | null;
        to: string;
      }> = [];
      batch.groups.forEach((group, index) => {
        const result = results[index];
        if (!result) return;
        remove.push(...group.ids);
        const local = { operation: group.last.operation, data: group.last.data };
        const ours = (version: string): BaseDocument => ({
          collection: group.collection,
          docId: group.docId,
          version,
          deleted: local.operation === 'delete',
          data: local.operation === 'delete' ? null : local.data,
        });
        if (result.status === 'rejected') {
          rejects.push({
            collection: group.collection,
            id: group.docId,
            local,
            code: result.code ?? 'REJECTED',
            error: result.error ?? 'The server refused the change',
          });
          return;
        }
        const settled: BaseDocument = result.document
          ? {
              collection: group.collection,
              docId: group.docId,
              version: result.document.version,
              deleted: result.document.deleted,
              data: result.document.deleted ? null : result.document.data,
            }
          : ours(result.new_version!);
        observe(settled.version);
        documents.push(settled);
        if (result.status === 'accepted') {
          reparent.push({
            collection: group.collection,
            docId: group.docId,
            from: group.parent,
            to: settled.version,
          });
        } else {
          conflicts.push({
            collection: group.collection,
            id: group.docId,
            local,
            server: { data: settled.data, deleted: settled.deleted, version: settled.version },
            winner: result.document ? 'server' : 'local',
          });
        }
      });
      await store.apply({ documents, removeOutbox: remove, reparent });
      showBase(documents);
      view.setOutbox(await store.outbox());
    });
    tabs?.post({
      type: 'documents',
      keys: batch.groups.map((group) => ({ collection: group.collection, docId: group.docId })),
    });
    for (const conflict of conflicts) notify(() => options.onConflict?.(conflict));
    for (const reject of rejects) notify(() => options.onReject?.(reject));
  }

  function notify(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      reportError(error);
    }
  }

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
      await settle(batch, results);
    }
  }

  async function pullAll(): Promise<void> {
    while (!closer.signal.aborted) {
      const answer = await transport.pull(lastSeq, pullLimit);
      if (answer.kind === 'full_resync_required') {
        needsResync = true;
        await fullResync();
        continue;
      }
      await applyRemote(answer.changes, maxSeq(answer.lastSeq, answer.changes));
      if (!answer.hasMore) return;
    }
  }

  async function fullResync(): Promise<void> {
    await exclusive(async () => {
      await store.beginResync();
      view.clearBase();
      lastSeq = '0';
    });
    const seq = await transport.full(async (page) => {
      let top = '';
      for (const doc of page) if (doc.version > top) top = doc.version;
      if (top) observe(top);
      await store.putResyncPage(page);
      view.setBase(page);
    });
    await exclusive(async () => {
      await store.endResync(seq);
      lastSeq = seq;
    });
    needsResync = false;
    tabs?.post({ type: 'documents', keys: null });
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
        if (needsResync) await fullResync();
        if (!socketLive || pullWanted) {
          pullWanted = false;
          await pullAll();
        }
        await pushAll();
        failures = 0;
        if (!socketLive) {
          setConnection('online');
          wakeIn(pollIntervalMs);
        }
        if (liveEnabled && !socket) connectLive();
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

  let socket: { close(): void } | null = null;
  let socketLive = false;
  let liveAttempts = 0;
  let liveTimer: ReturnType<typeof setTimeout> | undefined;

  function connectLive(): void {
    if (!liveEnabled || role !== 'leader' || state !== 'running' || socket || needsResync) return;
    if (browserOffline()) return;
    clearTimeout(liveTimer);
    const opened = { close() {} };
    socket = opened;
    transport.token().then(
      (token) => {
        if (socket !== opened || state !== 'running') return;
        socket = openLive(
          {
            url: baseUrl,
            webSocket: webSocket!,
            token,
            since: lastSeq,
            collections: [...collections],
          },
          {
            onChanges: (changes) => {
              applyRemote(changes, maxSeq(lastSeq, changes)).catch(reportError);
            },
            onLive: () => {
              socketLive = true;
              liveAttempts = 0;
              clearTimeout(wakeTimer);
              setConnection('live');
              // Edits that failed to push while the socket was down go now, not at the next poll.
              void requestSync();
            },
            onEnd: (end) => liveEnded(end),
          },
        );
      },
      (error: unknown) => {
        if (socket === opened) socket = null;
        reportError(error);
        liveTimer = setTimeout(connectLive, backoffDelay(liveAttempts++, options.backoff));
      },
    );
  }

  function liveEnded(end: LiveEnd): void {
    socket = null;
    socketLive = false;
    if (state !== 'running') return;
    if (connection === 'live') setConnection('online');
    if (end.kind === 'full_resync_required') {
      needsResync = true;
      void requestSync();
      return;
    }
    if (end.kind === 'unauthorized') void transport.refreshToken().catch(reportError);
    // Pull at once so nothing waits for the socket, then try the socket again later.
    void requestSync();
    liveTimer = setTimeout(connectLive, backoffDelay(liveAttempts++, options.backoff));
  }

  function dropLive(): void {
    clearTimeout(liveTimer);
    socket?.close();
    socket = null;
    socketLive = false;
  }

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
    await exclusive(async () => {
      const current = await store.meta();
      lastSeq = current.lastSeq;
      needsResync = current.resyncing || current.lastSeq === '0';
      view.clearBase();
      view.setBase(await store.documents());
      view.setOutbox(await store.outbox());
    });
    role = 'leader';
    void requestSync();
  }

  const onOnline = () => {
    failures = 0;
    liveAttempts = 0;
    void requestSync();
  };
  const onOffline = () => {
    dropLive();
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
      dropLive();
      closer.abort();
      tabs?.close();
      await round?.catch(() => {});
      await queue;
      await store.close();
    },
  };
  return client;
}
