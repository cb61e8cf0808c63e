import type { PgPool } from './pg.js';
import type { PostgresTables } from './postgres-schema.js';
import { type Row, toDeadLetter, toRun } from './rows.js';
import type { RunOperations } from './run-unit-delegation.js';
import {
  type DeadLetter,
  emptyStats,
  type RunFilter,
  type RunRow,
  type RunStats,
  type RunStatus,
  type RunTrigger,
} from './types.js';

/** Run history and the dead letters left behind, as the CLI and metrics read them. */
export function postgresRuns(pool: PgPool, t: PostgresTables): RunOperations {
  return {
    async startRun(pipeline: string, unit: string, trigger: RunTrigger): Promise<number> {
      const { rows } = await pool.query<Row>(
        `INSERT INTO ${t.runs} (pipeline, unit, trigger, status, started_ms, stats)
         VALUES ($1, $2, $3, 'running', $4, $5) RETURNING id`,
        [pipeline, unit, trigger, Date.now(), JSON.stringify(emptyStats())],
      );
      return Number(rows[0]!.id);
    },

    async finishRun(
      runId: number,
      outcome: { status: RunStatus; stats: RunStats; error: string | null },
    ): Promise<void> {
      await pool.query(
        `UPDATE ${t.runs} SET status = $1, finished_ms = $2, stats = $3, error = $4
         WHERE id = $5`,
        [outcome.status, Date.now(), JSON.stringify(outcome.stats), outcome.error, runId],
      );
    },

    async getRun(runId: number): Promise<RunRow | null> {
      const { rows } = await pool.query<Row>(`SELECT * FROM ${t.runs} WHERE id = $1`, [runId]);
      return rows[0] ? toRun(rows[0]) : null;
    },

    async listRuns(filter: RunFilter): Promise<RunRow[]> {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM ${t.runs}
         WHERE ($1::text IS NULL OR pipeline = $1) AND ($2::text IS NULL OR unit = $2)
         AND ($4::bigint IS NULL OR id > $4)
         ORDER BY CASE WHEN $4::bigint IS NULL THEN -id ELSE id END LIMIT $3`,
        [filter.pipeline ?? null, filter.unit ?? null, filter.limit, filter.afterId ?? null],
      );
      return rows.map(toRun);
    },

    async listDeadLetters(filter: { pipeline?: string; unit?: string }): Promise<DeadLetter[]> {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM ${t.deadLetters}
         WHERE ($1::text IS NULL OR pipeline = $1) AND ($2::text IS NULL OR unit = $2)
         ORDER BY pipeline, unit, key`,
        [filter.pipeline ?? null, filter.unit ?? null],
      );
      return rows.map(toDeadLetter);
    },
  };
}
