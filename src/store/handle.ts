import type Database from 'better-sqlite3';
import { KeepsyncError } from '../model/index.js';
import type { PgPoolClient } from './pg.js';
import type { LeaseToken, Store } from './types.js';

type Pool = import('pg').Pool;

/**
 * The lease a run holds, as the store a leased run sees carries it: features that commit
 * tables of their own prove it in each of their transactions, as page commits do.
 */
export interface HeldLeaseFence {
  readonly pipeline: string;
  readonly unit: string;
  readonly token: LeaseToken;
  /** Tells the run's lease holder that a commit found the lease taken. */
  readonly onLost: (error: Error) => void;
}

/**
 * The database behind an open Store, for keepsync's own features that keep tables of their
 * own in the same database (two-way sync), so they share its file or pool, its migrations
 * and its lifetime. Not for applications: the Store interface is the contract.
 */
export type StoreHandle = (
  | {
      readonly dialect: 'sqlite';
      readonly db: Database.Database;
      /** Runs synchronous work on `db`, waiting (asynchronously) while another process writes. */
      whenFree<T>(work: () => T): Promise<T>;
      /** Throws LEASE_LOST unless the token still holds; call inside a transaction on `db`. */
      proveLease(pipeline: string, unit: string, lease: LeaseToken): void;
    }
  | {
      readonly dialect: 'postgres';
      readonly pool: Pool;
      /** Quoted, ready to prefix table names. */
      readonly schema: string;
      /** Throws LEASE_LOST unless the token still holds; call inside the client's transaction. */
      proveLease(
        client: PgPoolClient,
        pipeline: string,
        unit: string,
        lease: LeaseToken,
      ): Promise<void>;
    }
) & {
  /** Set on the store of a leased run (`leasedStore`); absent on a store opened directly. */
  readonly lease?: HeldLeaseFence | undefined;
};

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
