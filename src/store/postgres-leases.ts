import {
  crashedRunError,
  decideLease,
  holdsLease,
  type LeaseRow,
  leaseLostError,
} from './leases.js';
import { type PgPool, type PgPoolClient, pgTransaction } from './pg.js';
import type { Row } from './rows.js';
import type { LeaseGrant, LeaseToken } from './types.js';

/** The lease operations of the PostgreSQL store, on its schema-qualified tables. */
export function postgresLeases(pool: PgPool, tables: { units: string; runs: string }) {
  const { units, runs } = tables;

  /** The row, locked: `FOR UPDATE` to change it, `FOR SHARE` to fence a commit against it. */
  async function lockedRow(
    client: PgPoolClient,
    pipeline: string,
    unit: string,
    mode: 'UPDATE' | 'SHARE',
  ): Promise<LeaseRow | undefined> {
    const { rows } = await client.query<Row>(
      `SELECT lease_owner, lease_epoch, lease_expires_ms FROM ${units}
       WHERE pipeline = $1 AND unit = $2 FOR ${mode}`,
      [pipeline, unit],
    );
    const found = rows[0];
    if (!found) return undefined;
    return {
      owner: (found.lease_owner as string | null) ?? null,
      epoch: Number(found.lease_epoch),
      expiresMs: found.lease_expires_ms === null ? null : Number(found.lease_expires_ms),
    };
  }

  return {
    acquire(
      pipeline: string,
      unit: string,
      owner: string,
      ttlMs: number,
      nowMs: number,
    ): Promise<LeaseGrant | null> {
      return pgTransaction(pool, async (client) => {
        const current = await lockedRow(client, pipeline, unit, 'UPDATE');
        if (!current) return null;
        const decision = decideLease(current, owner, nowMs);
        if (decision.kind === 'held') return null;
        if (decision.kind === 'renew') {
          await client.query(
            `UPDATE ${units} SET lease_expires_ms = $1 WHERE pipeline = $2 AND unit = $3`,
            [nowMs + ttlMs, pipeline, unit],
          );
          return { owner, epoch: current.epoch, crashedRuns: [] };
        }
        const taken = await client.query<Row>(
          `UPDATE ${units} SET lease_owner = $1, lease_epoch = lease_epoch + 1,
             lease_since_ms = $2, lease_expires_ms = $3
           WHERE pipeline = $4 AND unit = $5 RETURNING lease_epoch`,
          [owner, nowMs, nowMs + ttlMs, pipeline, unit],
        );
        let crashedRuns: number[] = [];
        if (decision.from) {
          const crashed = await client.query<Row>(
            `UPDATE ${runs} SET status = 'crashed', finished_ms = $1, error = $2
             WHERE pipeline = $3 AND unit = $4 AND status = 'running' AND trigger <> 'dead-letters'
             RETURNING id`,
            [nowMs, crashedRunError(decision.from, owner), pipeline, unit],
          );
          crashedRuns = crashed.rows.map((run) => Number(run.id));
        }
        return { owner, epoch: Number(taken.rows[0]!.lease_epoch), crashedRuns };
      });
    },

    async renew(
      pipeline: string,
      unit: string,
      lease: LeaseToken,
      ttlMs: number,
      nowMs: number,
    ): Promise<boolean> {
      const result = await pool.query(
        `UPDATE ${units} SET lease_expires_ms = $1
         WHERE pipeline = $2 AND unit = $3 AND lease_owner = $4 AND lease_epoch = $5`,
        [nowMs + ttlMs, pipeline, unit, lease.owner, lease.epoch],
      );
      return result.rowCount === 1;
    },

    async release(pipeline: string, unit: string, owner: string): Promise<void> {
      await pool.query(
        `UPDATE ${units} SET lease_owner = NULL, lease_expires_ms = NULL, lease_since_ms = NULL
         WHERE pipeline = $1 AND unit = $2 AND lease_owner = $3`,
        [pipeline, unit, owner],
      );
    },

    /**
     * Inside a commit's transaction: throws LEASE_LOST unless the token still holds. The
     * share lock keeps a take-over waiting until this commit is done.
     */
    async check(client: PgPoolClient, pipeline: string, unit: string, lease: LeaseToken) {
      const current = await lockedRow(client, pipeline, unit, 'SHARE');
      if (!holdsLease(current, lease)) throw leaseLostError(pipeline, unit, current?.owner ?? null);
    },
  };
}
