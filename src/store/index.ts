export { type HeldLeaseFence, type StoreHandle, storeHandle } from './handle.js';
export { leasedStore } from './leased-store.js';
export {
  connectPg,
  loadPg,
  type Pg,
  type PgConnection,
  type PgConnectionOptions,
  type PgPool,
  type PgPoolClient,
  pgTransaction,
} from './pg.js';
export { openPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { isSqliteBusy, retryWhileBusy, SQLITE_SYNC_BUSY_MS } from './sqlite-busy.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export {
  type CursorState,
  type DeadLetter,
  type DeadLetterWrite,
  type DriftCounts,
  emptyStats,
  type LeaseGrant,
  type LeaseToken,
  type Link,
  type LinkWrite,
  type PageCommit,
  type RunFilter,
  type RunRow,
  type RunStats,
  type RunStatus,
  type RunTrigger,
  type Store,
  type UnitState,
  type UnitStatePatch,
} from './types.js';
