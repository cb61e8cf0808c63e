import type Database from 'better-sqlite3';
import { mergeRequestedKeys, type Row, toUnit, unitColumns, unknownUnitError } from './rows.js';
import type { UnitOperations } from './run-unit-delegation.js';
import type { WhenFree } from './sqlite-busy.js';
import type { UnitState, UnitStatePatch } from './types.js';

/** The scheduler's per-unit rows of the SQLite store (leases are sqlite-leases.ts). */
export function sqliteUnits(db: Database.Database, whenFree: WhenFree): UnitOperations {
  return {
    async ensureUnit(pipeline: string, unit: string, nextRunAt: Date): Promise<void> {
      await whenFree(() =>
        db
          .prepare(
            'INSERT INTO units (pipeline, unit, next_run_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
          )
          .run(pipeline, unit, nextRunAt.getTime()),
      );
    },

    async getUnit(pipeline: string, unit: string): Promise<UnitState | null> {
      const row = db
        .prepare('SELECT * FROM units WHERE pipeline = ? AND unit = ?')
        .get(pipeline, unit) as Row | undefined;
      return row ? toUnit(row) : null;
    },

    async listUnits(pipeline?: string): Promise<UnitState[]> {
      const rows = db
        .prepare(
          'SELECT * FROM units WHERE (@pipeline IS NULL OR pipeline = @pipeline) ORDER BY pipeline, unit',
        )
        .all({ pipeline: pipeline ?? null }) as Row[];
      return rows.map(toUnit);
    },

    async updateUnit(pipeline: string, unit: string, patch: UnitStatePatch): Promise<void> {
      const columns = unitColumns(patch);
      if (columns.length === 0) return;
      const assignments = columns.map(([column]) => `${column} = ?`).join(', ');
      const result = await whenFree(() =>
        db
          .prepare(`UPDATE units SET ${assignments} WHERE pipeline = ? AND unit = ?`)
          .run(...columns.map(([, value]) => value), pipeline, unit),
      );
      if (result.changes === 0) throw unknownUnitError(pipeline, unit);
    },

    async requestSync(
      pipeline: string,
      unit: string,
      keys: readonly string[] | null,
    ): Promise<void> {
      const request = db.transaction(() => {
        const row = db
          .prepare(
            'SELECT sync_requested, requested_keys FROM units WHERE pipeline = ? AND unit = ?',
          )
          .get(pipeline, unit) as Row | undefined;
        if (!row) throw unknownUnitError(pipeline, unit);
        const merged = mergeRequestedKeys(
          row.sync_requested === 1,
          row.requested_keys === null
            ? null
            : (JSON.parse(row.requested_keys as string) as string[]),
          keys,
        );
        db.prepare(
          'UPDATE units SET sync_requested = 1, requested_keys = ? WHERE pipeline = ? AND unit = ?',
        ).run(merged === null ? null : JSON.stringify(merged), pipeline, unit);
      });
      await whenFree(() => request.immediate());
    },
  };
}
