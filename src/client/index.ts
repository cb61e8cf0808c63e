export type { BackoffOptions } from './backoff.js';
export { createSyncClient, type SyncClient } from './client.js';
export { SyncClientError } from './errors.js';
export { type IndexedDbStoreOptions, openIndexedDbStore } from './indexeddb-store.js';
export type { WebSocketConstructor } from './live.js';
export type { LocalApply, LocalMeta, LocalStore } from './local-store.js';
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';
export type {
  ConflictContext,
  ConnectionState,
  LocalEdit,
  RejectContext,
  SyncClientOptions,
} from './options.js';
export type { GetToken } from './transport.js';
export type {
  BaseDocument,
  ClientDocument,
  DocumentData,
  OutboxEntry,
  RejectedEdit,
} from './types.js';
export type { DocumentFilter, SubscriptionContext } from './view.js';
