import { KeepsyncError } from '../model/index.js';
import type { ConnectionState } from './options.js';
import type { ClientDocument, DocumentData } from './types.js';
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
  /** Starts syncing (leader election, sync loop, live stream). */
  start(): Promise<void>;
  /** Pushes and pulls now; rejects if the round failed (it is retried in the background). */
  sync(): Promise<void>;
  /** Stops syncing and closes the local store. Idempotent. */
  close(): Promise<void>;
}

export function configError(message: string): KeepsyncError {
  return new KeepsyncError('CONFIG_INVALID', message);
}

export function checkDocId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 512 || id.includes('\u0000')) {
    throw new KeepsyncError(
      'RECORD_INVALID',
      `Expected a document id of 1-512 characters without NUL, got ${JSON.stringify(id)}`,
    );
  }
}
