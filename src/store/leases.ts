import { KeepsyncError } from '../model/index.js';
import type { LeaseToken } from './types.js';

/** The lease columns of a unit's row, as both stores read them. */
export interface LeaseRow {
  readonly owner: string | null;
  readonly epoch: number;
  readonly expiresMs: number | null;
}

export type LeaseDecision =
  | { readonly kind: 'held' }
  | { readonly kind: 'renew' }
  /** `from`: the holder whose expired lease is taken over, if any. */
  | { readonly kind: 'take'; readonly from: { owner: string; expiresMs: number } | null };

/** Shared by both stores: what acquiring a lease does to the row as it is now. */
export function decideLease(row: LeaseRow, owner: string, nowMs: number): LeaseDecision {
  if (row.owner === null) return { kind: 'take', from: null };
  if (row.owner === owner) return { kind: 'renew' };
  if (row.expiresMs !== null && row.expiresMs <= nowMs) {
    return { kind: 'take', from: { owner: row.owner, expiresMs: row.expiresMs } };
  }
  return { kind: 'held' };
}

/** Whether a page commit's token still names the lease on the row. */
export function holdsLease(row: LeaseRow | undefined, lease: LeaseToken): boolean {
  return row !== undefined && row.owner === lease.owner && row.epoch === lease.epoch;
}

export function leaseLostError(
  pipeline: string,
  unit: string,
  holder: string | null,
): KeepsyncError {
  return new KeepsyncError(
    'LEASE_LOST',
    `The lease on unit ${unit} of pipeline ${pipeline} is no longer this engine's ` +
      `(${holder ? `now held by ${holder}` : 'taken over by another engine, which has released it since'}); ` +
      'this run stops without committing another page',
  );
}

/** The error kept on a run whose engine stopped renewing its lease. */
export function crashedRunError(from: { owner: string; expiresMs: number }, taker: string): string {
  return (
    `engine ${from.owner} stopped renewing its lease (expired ${new Date(from.expiresMs).toISOString()}); ` +
    `taken over by ${taker}`
  );
}
