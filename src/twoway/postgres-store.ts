import { type Cursor, parseCursor, serializeCursor } from '../model/index.js';
import { pgTransaction, type StoreHandle } from '../store/index.js';
import { baseJson, toConflict, toJson, toJsonOrNull, toPair } from './rows.js';
import { type ConflictFilter, checkDecision, notOpen, type TwoWayStore } from './store.js';
import { type ConflictDecision, type ConflictRow, type Side, TWO_WAY_UNIT } from './types.js';

type Row = Record<string, unknown>;

/** The condition of the `twoway_pairs_with_state` index, which the planner must see implied. */
const PAIR_HAS_STATE = `pending IS NOT NULL OR inflight IS NOT NULL OR left_seen IS NOT NULL
  OR right_seen IS NOT NULL OR left_key IS NULL OR right_key IS NULL`;

/** The two-way state in the keepsync PostgreSQL schema (tables from `twoway-sync`). */
export function openPostgresTwoWayStore(
  handle: Extract<StoreHandle, { dialect: 'postgres' }>,
): TwoWayStore {
  const { pool, schema } = handle;
  const t = {
    pairs: `${schema}.twoway_pairs`,
    cursors: `${schema}.twoway_cursors`,
    conflicts: `${schema}.twoway_conflicts`,
    runs: `${schema}.runs`,
  };
  const query = async (text: string, values?: unknown[]) =>
    (await pool.query(text, values)).rows as Row[];

  return {
    async loadPairs(task) {
      return (await query(`SELECT * FROM ${t.pairs} WHERE task = $1`, [task])).map((row) =>
        toPair(row, 'parsed'),
      );
    },
    async loadPairsForKeys(task, keys) {
      const near = (column: string, param: string) =>
        `SELECT p.* FROM unnest(${param}::text[]) k JOIN ${t.pairs} p ON p.task = $1
           AND (p.${column} = k OR (p.${column} > k || '~' AND p.${column} < k || chr(127)))`;
      // The pairs with state of their own from the partial index of `twoway-pairs-with-state`,
      // those with live conflicts by primary key.
      const rows = await query(
        `SELECT * FROM ${t.pairs} WHERE task = $1 AND (${PAIR_HAS_STATE})
         UNION SELECT p.* FROM ${t.conflicts} c JOIN ${t.pairs} p ON p.task = c.task AND p.id = c.pair_id
           WHERE c.task = $1 AND c.state IN ('open', 'decided')
         UNION ${near('left_key', '$2')} UNION ${near('right_key', '$3')}`,
        [task, keys.left, keys.right],
      );
      return rows.map((row) => toPair(row, 'parsed'));
    },
    async countPairs(task) {
      const rows = await query(`SELECT COUNT(*) AS n FROM ${t.pairs} WHERE task = $1`, [task]);
      return Number(rows[0]!.n);
    },
    async getCursors(task) {
      const cursors: Record<Side, Cursor> = { left: null, right: null };
      for (const row of await query(`SELECT side, cursor FROM ${t.cursors} WHERE task = $1`, [
        task,
      ])) {
        cursors[row.side as Side] = parseCursor(
          row.cursor as string | null,
          `two-way task ${task}`,
        );
      }
      return cursors;
    },
    async commit(c) {
      const now = Date.now();
      await pgTransaction(pool, async (client) => {
        if (c.lease) await handle.proveLease(client, c.task, TWO_WAY_UNIT, c.lease);
        if (c.removedPairs.length > 0) {
          await client.query(`DELETE FROM ${t.pairs} WHERE task = $1 AND id = ANY($2::text[])`, [
            c.task,
            c.removedPairs,
          ]);
        }
        if (c.pairs.length > 0) {
          // One row per id, the last winning, as one INSERT cannot touch a row twice.
          const pairs = [...new Map(c.pairs.map((pair) => [pair.id, pair])).values()];
          await client.query(
            `INSERT INTO ${t.pairs} (task, id, left_key, right_key, base, left_seen, right_seen, pending, inflight, updated_ms)
             SELECT $1, i, l, r, b::jsonb, ls::jsonb, rs::jsonb, p, f::jsonb, $2
             FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
               AS x(i, l, r, b, ls, rs, p, f)
             ON CONFLICT (task, id) DO UPDATE SET left_key = EXCLUDED.left_key,
               right_key = EXCLUDED.right_key, base = EXCLUDED.base, left_seen = EXCLUDED.left_seen,
               right_seen = EXCLUDED.right_seen, pending = EXCLUDED.pending,
               inflight = EXCLUDED.inflight, updated_ms = EXCLUDED.updated_ms`,
            [
              c.task,
              now,
              pairs.map((pair) => pair.id),
              pairs.map((pair) => pair.leftKey),
              pairs.map((pair) => pair.rightKey),
              pairs.map((pair) => baseJson(pair.base)),
              pairs.map((pair) => toJsonOrNull(pair.leftSeen)),
              pairs.map((pair) => toJsonOrNull(pair.rightSeen)),
              pairs.map((pair) => pair.pending),
              pairs.map((pair) => toJsonOrNull(pair.inflight)),
            ],
          );
        }
        for (const conflict of c.conflicts) {
          await client.query(
            `INSERT INTO ${t.conflicts} (task, pair_id, left_key, right_key, field, left_value,
               right_value, base_value, detected_ms, state)
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, 'open')
             ON CONFLICT (task, pair_id, field) WHERE state IN ('open', 'decided') DO UPDATE SET
               left_key = EXCLUDED.left_key, right_key = EXCLUDED.right_key,
               left_value = EXCLUDED.left_value, right_value = EXCLUDED.right_value`,
            [
              c.task,
              conflict.pairId,
              conflict.leftKey,
              conflict.rightKey,
              conflict.field,
              toJson(conflict.leftValue),
              toJson(conflict.rightValue),
              toJson(conflict.baseValue),
              now,
            ],
          );
        }
        if (c.resolvedConflicts.length > 0) {
          await client.query(
            `UPDATE ${t.conflicts} SET state = 'resolved', decided_ms = COALESCE(decided_ms, $1)
             WHERE id = ANY($2::bigint[]) AND state IN ('open', 'decided')`,
            [now, c.resolvedConflicts],
          );
        }
        for (const [side, cursor] of Object.entries(c.cursors ?? {})) {
          await client.query(
            `INSERT INTO ${t.cursors} (task, side, cursor, updated_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (task, side) DO UPDATE SET cursor = EXCLUDED.cursor,
               updated_ms = EXCLUDED.updated_ms`,
            [c.task, side, serializeCursor(cursor ?? null), now],
          );
        }
        if (c.run) {
          await client.query(`UPDATE ${t.runs} SET stats = $1 WHERE id = $2`, [
            JSON.stringify(c.run.stats),
            c.run.id,
          ]);
        }
      });
    },
    async listConflicts(filter: ConflictFilter = {}) {
      const rows = await query(
        `SELECT * FROM ${t.conflicts} WHERE ($1::text IS NULL OR task = $1)
         AND state = ANY($2::text[]) ORDER BY id`,
        [filter.task ?? null, filter.states ?? ['open', 'decided']],
      );
      return rows.map((row) => toConflict(row, 'parsed'));
    },
    async getConflict(id) {
      const rows = await query(`SELECT * FROM ${t.conflicts} WHERE id = $1`, [id]);
      return rows[0] ? toConflict(rows[0], 'parsed') : null;
    },
    async decideConflict(id: number, decision: ConflictDecision): Promise<ConflictRow> {
      const checked = checkDecision(decision);
      const rows = await query(
        `UPDATE ${t.conflicts} SET state = 'decided', decision = $1::jsonb, decided_ms = $2
         WHERE id = $3 AND state = 'open' RETURNING *`,
        [toJson(checked), Date.now(), id],
      );
      if (rows[0]) return toConflict(rows[0], 'parsed');
      throw notOpen(await this.getConflict(id), id);
    },
    async resetTask(task) {
      await pgTransaction(pool, async (client) => {
        for (const table of [t.pairs, t.cursors, t.conflicts]) {
          await client.query(`DELETE FROM ${table} WHERE task = $1`, [task]);
        }
      });
    },
  };
}
