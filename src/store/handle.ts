import type Database from 'better-sqlite3';
import { KeepsyncError } from '../model/index.js';
import type { Store } from './types.js';

type Pool = import('pg').Pool;

/**
 * The database behind an open Store, for keepsync's own features that keep tables of their
 * own in the same database (two-way sync), so they share its file or pool, its migrations
 * and its lifetime. Not for applications: the Store interface is the contract.
 */
export type StoreHandle =
  | { readonly dialect: 'sqlite'; readonly db: Database.Database }
  /** `schema` is quoted, ready to prefix table names. */
  | { readonly dialect: 'postgres'; readonly pool: Pool; readonly schema: string };

export const STORE_HANDLE: unique symbol = Symbol.for('keepsync.store.handle') as never;

export function storeHandle(store: Store): StoreHandle {
  const handle = (store as { [STORE_HANDLE]?: StoreHandle })[STORE_HANDLE];
  if (!handle) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'Expected a store opened by openSqliteStore or openPostgresStore, got another Store implementation',
    );
  }
  return handle;
}
