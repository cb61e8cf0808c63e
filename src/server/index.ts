export { type Authenticate, bearerToken, createAuthenticator } from './auth.js';
export { ConflictRejection, isSyncHttpError, type SyncErrorCode, SyncHttpError } from './errors.js';
export { openApiDocument } from './openapi.js';
export type {
  AuthorizeContext,
  CollectionOptions,
  ConflictContext,
  ConflictResolver,
  DeletePolicy,
  IncomingContext,
  IncomingDecision,
  IncomingHook,
  ResolverDecision,
  StreamIdentityContext,
  StreamIdentityResolver,
  SyncAuthOptions,
  SyncLogger,
  SyncOperation,
  SyncServerOptions,
  SyncUser,
  VerifyContext,
} from './options.js';
export { lastWriterWins } from './protocol.js';
export {
  createSyncServer,
  type ListenOptions,
  type ServerWrite,
  type SyncServer,
} from './server.js';
export {
  openPostgresDocumentStore,
  openSqliteDocumentStore,
  type PostgresDocumentStoreOptions,
  type SqliteDocumentStoreOptions,
} from './store/index.js';
export type * from './store/types.js';
