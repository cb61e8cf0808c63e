import type { BackoffOptions } from './backoff.js';
import type { WebSocketConstructor } from './live.js';
import type { LocalStore } from './local-store.js';
import type { GetToken } from './transport.js';
import type { DocumentData, RejectedEdit } from './types.js';

/** A local edit as it was made. */
export interface LocalEdit {
  readonly operation: 'upsert' | 'delete';
  readonly data: DocumentData | null;
}

/** The server settled a conflict on a document this client edited. */
export interface ConflictContext {
  readonly collection: string;
  readonly id: string;
  /** What this client wrote (the last pending edit of the document). */
  readonly local: LocalEdit;
  /** The document as the server now holds it (and so does the local store). */
  readonly server: {
    readonly data: DocumentData | null;
    readonly deleted: boolean;
    readonly version: string;
  };
  /** `local`: the local edit was applied over the other writer's; `server`: it was not (kept or merged). */
  readonly winner: 'local' | 'server';
}

/**
 * The server refused a local edit for good. The document shows the server's state again, and
 * the edit stays in `client.rejected()` (stored) until the app retries or dismisses it.
 */
export type RejectContext = RejectedEdit;

/** How this tab reaches the server: `live` means the WebSocket stream is caught up. */
export type ConnectionState = 'connecting' | 'online' | 'live' | 'offline';

export interface SyncClientOptions {
  /** Base URL of the sync server (where `/sync/push` lives), e.g. `https://api.example.com`. */
  url: string;
  /** The collections this client syncs. */
  collections: readonly string[];
  /** Where documents and the outbox live (`openIndexedDbStore()` in browsers). @default createMemoryStore() */
  store?: LocalStore | undefined;
  /** Returns the bearer token; called again with `reason: 'unauthorized'` after a 401. */
  getToken?: GetToken | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
  /**
   * The WebSocket class (in Node 20: `WebSocket` from the `ws` package).
   * @default globalThis.WebSocket; without one the client pulls every `pollIntervalMs`
   */
  webSocket?: WebSocketConstructor | undefined;
  /** Keep a live WebSocket stream open while online. @default true */
  live?: boolean | undefined;
  /** Documents per push request (the server takes at most 1000). @default 500 */
  pushBatchSize?: number | undefined;
  /** Changes per pull request (the server's maximum is 1000). @default 1000 */
  pullLimit?: number | undefined;
  /**
   * Documents in the first `/sync/full` request of a full resync; each later request asks for
   * twice as many as the one before (up to the server's 100,000). A reload resumes it from the
   * last whole page. @default 10_000
   */
  fullResyncPageSize?: number | undefined;
  /** How often to pull while the stream is down. @default 10_000 */
  pollIntervalMs?: number | undefined;
  /** Delays between retries and reconnects (exponential, with jitter). */
  backoff?: BackoffOptions | undefined;
  /** The server settled a conflict on a document this client edited. */
  onConflict?: ((context: ConflictContext) => void) | undefined;
  /** The server refused a local edit. */
  onReject?: ((context: RejectContext) => void) | undefined;
  /** A sync round failed (it is retried); or a subscriber threw. */
  onError?: ((context: { readonly error: unknown }) => void) | undefined;
  /** The connection state changed. */
  onConnectionChange?: ((context: { readonly connection: ConnectionState }) => void) | undefined;
  /** Aborting it closes the client. */
  signal?: AbortSignal | undefined;
  /**
   * The device's clock. It may be wrong by any amount: the client runs its edit times on the
   * server's clock, learned from every answer. @default Date.now
   */
  now?: (() => number) | undefined;
}
