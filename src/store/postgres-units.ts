import { type PgPool, pgTransaction } from './pg.js';
import type { PostgresTables } from './postgres-schema.js';
import {
  mergeRequestedKeys,
  parseJsonColumn,
  type Row,
  toUnit,
  unitColumns,
  unknownUnitError,
} from './rows.js';
import type { UnitOperations } from './run-unit-delegation.js';
import type { UnitState, UnitStatePatch } from './types.js';

/** The scheduler's per-unit rows of the PostgreSQL store (leases are postgres-leases.ts). */
export function postgresUnits(pool: PgPool, t: PostgresTables): UnitOperations {
  return {
    async ensureUnit(pipeline: string, unit: string, nextRunAt: Date): Promise<void> {
      await pool.query(
        `INSERT INTO ${t.units} (pipeline, unit, next_run_ms) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [pipeline, unit, nextRunAt.getTime()],
      );
    },

    async getUnit(pipeline: string, unit: string): Promise<UnitState | null> {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM ${t.units} WHERE pipeline = $1 AND unit = $2`,
        [pipeline, unit],
      );
      return rows[0] ? toUnit(rows[0]) : null;
    },

    async listUnits(pipeline?: string): Promise<UnitState[]> {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM ${t.units} WHERE ($1::text IS NULL OR pipeline = $1)
         ORDER BY pipeline, unit`,
        [pipeline ?? null],
      );
      return rows.map(toUnit);
    },

    async updateUnit(pipeline: string, unit: string, patch: UnitStatePatch): Promise<void> {
      const columns = unitColumns(patch);
      if (columns.length === 0) return;
      // Column names come from unitColumns' fixed list, never from the caller. The 1/0 flags
      // it produces are valid BOOLEAN input.
      const assignments = columns.map(([column], index) => `${column} = $${index + 1}`).join(', ');
      const n = columns.length;
      const result = await pool.query(
        `UPDATE ${t.units} SET ${assignments} WHERE pipeline = $${n + 1} AND unit = $${n + 2}`,
        [...columns.map(([, value]) => value), pipeline, unit],
      );
      if (result.rowCount === 0) throw unknownUnitError(pipeline, unit);
    },

    async requestSync(
      pipeline: string,
      unit: string,
      keys: readonly string[] | null,
    ): Promise<void> {
      await pgTransaction(pool, async (client) => {
        // The row lock makes concurrent requests merge one after the other, losing no keys.
        const { rows } = await client.query<Row>(
          `SELECT sync_requested, requested_keys FROM ${t.units}
           WHERE pipeline = $1 AND unit = $2 FOR UPDATE`,
          [pipeline, unit],
        );
        const row = rows[0];
        if (!row) throw unknownUnitError(pipeline, unit);
        const merged = mergeRequestedKeys(
          row.sync_requested === true,
          row.requested_keys === null ? null : parseJsonColumn<string[]>(row.requested_keys),
          keys,
        );
        await client.query(
          `UPDATE ${t.units} SET sync_requested = TRUE, requested_keys = $1
           WHERE pipeline = $2 AND unit = $3`,
          [merged === null ? null : JSON.stringify(merged), pipeline, unit],
        );
      });
    },
  };
}
