import { KeepsyncError } from '../model/index.js';
import type { WebSocketConstructor } from './live.js';
import type { ConnectionState, SyncClientOptions } from './options.js';
import type { ClientDocument, DocumentData, RejectedEdit } from './types.js';
import type { DocumentFilter, SubscriptionContext } from './view.js';

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
  /**
   * Local edits the server refused for good, with its reason, oldest first. They stay (in the
   * local store) until the app retries or dismisses them: a refused edit is never just lost.
   */
  rejected(): RejectedEdit[];
  /** Queues a rejected edit again, on top of the document as it is now. */
  retryRejected(editId: string): Promise<void>;
  /** Forgets a rejected edit. */
  dismissRejected(editId: string): Promise<void>;
  /** Starts syncing (leader election, sync loop, live stream). */
  start(): Promise<void>;
  /**
   * Resolves when the server's documents as of this call are here and the edits made before it
   * are pushed; rejects if that round failed (it is retried in the background). Called right
   * after `start()`, it waits for the first round (a new client's full resync and a pull)
   * without asking the server again: the way to wait for the first complete sync.
   */
  sync(): Promise<void>;
  /** Stops syncing and closes the local store. Idempotent. */
  close(): Promise<void>;
}

/** Refuses options the client cannot work with; finds `fetch` and `WebSocket`. */
export function checkOptions(options: SyncClientOptions): {
  fetchImpl: typeof fetch;
  webSocket: WebSocketConstructor | undefined;
} {
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
  return { fetchImpl, webSocket };
}

export function configError(message: string): KeepsyncError {
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

/**
 * Refuses an edit the client does not sync or cannot store; returns a copy of `data` (none for a delete), so later
 * changes of the caller's object do not reach the outbox.
 */
export function checkEdit(
  collections: ReadonlySet<string>,
  collection: string,
  id: unknown,
  data: unknown,
): DocumentData | null {
  if (!collections.has(collection)) {
    throw configError(
      `Unknown collection \`${collection}\`; this client syncs ${[...collections].map((name) => `\`${name}\``).join(', ')}`,
    );
  }
  checkDocId(id);
  if (data === undefined) return null;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new KeepsyncError(
      'RECORD_INVALID',
      `Expected the data of ${collection}/${id} to be a plain object`,
    );
  }
  return JSON.parse(JSON.stringify(data)) as DocumentData;
}
