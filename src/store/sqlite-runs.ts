import type Database from 'better-sqlite3';
import { type Row, toDeadLetter, toRun } from './rows.js';
import type { RunOperations } from './run-unit-delegation.js';
import type { WhenFree } from './sqlite-busy.js';
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
export function sqliteRuns(db: Database.Database, whenFree: WhenFree): RunOperations {
  return {
    async startRun(pipeline: string, unit: string, trigger: RunTrigger): Promise<number> {
      const result = await whenFree(() =>
        db
          .prepare(
            `INSERT INTO runs (pipeline, unit, trigger, status, started_ms, stats) VALUES (?, ?, ?, 'running', ?, ?)`,
          )
          .run(pipeline, unit, trigger, Date.now(), JSON.stringify(emptyStats())),
      );
      return Number(result.lastInsertRowid);
    },

    async finishRun(
      runId: number,
      outcome: { status: RunStatus; stats: RunStats; error: string | null },
    ): Promise<void> {
      await whenFree(() =>
        db
          .prepare('UPDATE runs SET status = ?, finished_ms = ?, stats = ?, error = ? WHERE id = ?')
          .run(outcome.status, Date.now(), JSON.stringify(outcome.stats), outcome.error, runId),
      );
    },

    async getRun(runId: number): Promise<RunRow | null> {
      const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as Row | undefined;
      return row ? toRun(row) : null;
    },

    async listRuns(filter: RunFilter): Promise<RunRow[]> {
      const rows = db
        .prepare(
          `SELECT * FROM runs WHERE (@pipeline IS NULL OR pipeline = @pipeline)
           AND (@unit IS NULL OR unit = @unit) AND (@after IS NULL OR id > @after)
           ORDER BY CASE WHEN @after IS NULL THEN -id ELSE id END LIMIT @limit`,
        )
        .all({
          pipeline: filter.pipeline ?? null,
          unit: filter.unit ?? null,
          after: filter.afterId ?? null,
          limit: filter.limit,
        }) as Row[];
      return rows.map(toRun);
    },

    async listDeadLetters(filter: { pipeline?: string; unit?: string }): Promise<DeadLetter[]> {
      const rows = db
        .prepare(
          `SELECT * FROM dead_letters WHERE (@pipeline IS NULL OR pipeline = @pipeline)
           AND (@unit IS NULL OR unit = @unit) ORDER BY pipeline, unit, key`,
        )
        .all({ pipeline: filter.pipeline ?? null, unit: filter.unit ?? null }) as Row[];
      return rows.map(toDeadLetter);
    },
  };
}
