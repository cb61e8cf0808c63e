import type Database from 'better-sqlite3';
import {
  crashedRunError,
  decideLease,
  holdsLease,
  type LeaseRow,
  leaseLostError,
} from './leases.js';
import type { Row } from './rows.js';
import type { LeaseGrant, LeaseToken } from './types.js';

type Acquire = (
  pipeline: string,
  unit: string,
  owner: string,
  ttlMs: number,
  nowMs: number,
) => LeaseGrant | null;

export interface SqliteLeases {
  /** A transaction: run it `.immediate(...)`. */
  readonly acquire: Database.Transaction<Acquire>;
  renew(pipeline: string, unit: string, lease: LeaseToken, ttlMs: number, nowMs: number): boolean;
  release(pipeline: string, unit: string, owner: string): void;
  /** Throws LEASE_LOST unless the token still holds; call inside the commit's transaction. */
  check(pipeline: string, unit: string, lease: LeaseToken): void;
}

/** The lease statements of the SQLite store. */
export function sqliteLeases(db: Database.Database): SqliteLeases {
  const read = db.prepare(
    'SELECT lease_owner, lease_epoch, lease_expires_ms FROM units WHERE pipeline = ? AND unit = ?',
  );
  const renew = db.prepare(
    'UPDATE units SET lease_expires_ms = ? WHERE pipeline = ? AND unit = ? AND lease_owner = ? AND lease_epoch = ?',
  );
  const take = db.prepare(
    `UPDATE units SET lease_owner = ?, lease_epoch = lease_epoch + 1, lease_since_ms = ?,
       lease_expires_ms = ? WHERE pipeline = ? AND unit = ? RETURNING lease_epoch`,
  );
  const crash = db.prepare(
    `UPDATE runs SET status = 'crashed', finished_ms = ?, error = ?
     WHERE pipeline = ? AND unit = ? AND status = 'running' AND trigger <> 'dead-letters'
     RETURNING id`,
  );
  const release = db.prepare(
    'UPDATE units SET lease_owner = NULL, lease_expires_ms = NULL, lease_since_ms = NULL WHERE pipeline = ? AND unit = ? AND lease_owner = ?',
  );

  function row(pipeline: string, unit: string): LeaseRow | undefined {
    const found = read.get(pipeline, unit) as Row | undefined;
    if (!found) return undefined;
    return {
      owner: (found.lease_owner as string | null) ?? null,
      epoch: Number(found.lease_epoch),
      expiresMs: found.lease_expires_ms === null ? null : Number(found.lease_expires_ms),
    };
  }

  return {
    acquire: db.transaction(
      (pipeline: string, unit: string, owner: string, ttlMs: number, nowMs: number) => {
        const current = row(pipeline, unit);
        if (!current) return null;
        const decision = decideLease(current, owner, nowMs);
        if (decision.kind === 'held') return null;
        if (decision.kind === 'renew') {
          renew.run(nowMs + ttlMs, pipeline, unit, owner, current.epoch);
          return { owner, epoch: current.epoch, crashedRuns: [] } satisfies LeaseGrant;
        }
        const taken = take.get(owner, nowMs, nowMs + ttlMs, pipeline, unit) as Row;
        const crashedRuns = decision.from
          ? (crash.all(nowMs, crashedRunError(decision.from, owner), pipeline, unit) as Row[]).map(
              (run) => Number(run.id),
            )
          : [];
        return { owner, epoch: Number(taken.lease_epoch), crashedRuns } satisfies LeaseGrant;
      },
    ),
    renew(pipeline: string, unit: string, lease: LeaseToken, ttlMs: number, nowMs: number) {
      return renew.run(nowMs + ttlMs, pipeline, unit, lease.owner, lease.epoch).changes === 1;
    },
    release(pipeline: string, unit: string, owner: string) {
      release.run(pipeline, unit, owner);
    },
    check(pipeline: string, unit: string, lease: LeaseToken) {
      const current = row(pipeline, unit);
      if (!holdsLease(current, lease)) throw leaseLostError(pipeline, unit, current?.owner ?? null);
    },
  };
}
