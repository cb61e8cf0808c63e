export { openPostgresDocumentStore, type PostgresDocumentStoreOptions } from './postgres.js';
export { openSqliteDocumentStore, type SqliteDocumentStoreOptions } from './sqlite.js';
export type * from './types.js';
