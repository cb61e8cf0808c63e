import { type Cursor, parseCursor, serializeCursor } from '../model/index.js';
import type { StoreHandle } from '../store/index.js';
import { baseJson, toConflict, toJson, toJsonOrNull, toPair } from './rows.js';
import {
  type ConflictFilter,
  checkDecision,
  notOpen,
  type TwoWayCommit,
  type TwoWayStore,
} from './store.js';
import { type ConflictDecision, type ConflictRow, type Side, TWO_WAY_UNIT } from './types.js';

type Row = Record<string, unknown>;

/** Word for word the condition of the `twoway_pairs_with_state` index, so the index applies. */
const PAIR_HAS_STATE = `pending IS NOT NULL OR inflight IS NOT NULL OR left_seen IS NOT NULL
  OR right_seen IS NOT NULL OR left_key IS NULL OR right_key IS NULL`;

/** The two-way state in the keepsync SQLite file (tables from the `twoway-sync` migration). */
export function openSqliteTwoWayStore(
  handle: Extract<StoreHandle, { dialect: 'sqlite' }>,
): TwoWayStore {
  const { db, whenFree } = handle;
  const s = {
    pairs: db.prepare('SELECT * FROM twoway_pairs WHERE task = ?'),
    // The pairs with state of their own come from the partial index of the
    // `twoway-pairs-with-state` migration (INDEXED BY: without statistics SQLite would walk
    // every pair of the task), those with live conflicts by primary key; CROSS JOIN keeps the
    // key list outside, so each key is an index search, not a scan.
    pairsForKeys: db.prepare(
      `SELECT * FROM twoway_pairs INDEXED BY twoway_pairs_with_state WHERE task = @task
         AND (${PAIR_HAS_STATE})
       UNION SELECT p.* FROM twoway_conflicts c CROSS JOIN twoway_pairs p ON p.task = c.task AND p.id = c.pair_id
         WHERE c.task = @task AND c.state IN ('open', 'decided')
       UNION SELECT p.* FROM json_each(@left) k CROSS JOIN twoway_pairs p ON p.task = @task AND p.left_key = k.value
       UNION SELECT p.* FROM json_each(@left) k CROSS JOIN twoway_pairs p ON p.task = @task
         AND p.left_key > k.value || '~' AND p.left_key < k.value || char(127)
       UNION SELECT p.* FROM json_each(@right) k CROSS JOIN twoway_pairs p ON p.task = @task AND p.right_key = k.value
       UNION SELECT p.* FROM json_each(@right) k CROSS JOIN twoway_pairs p ON p.task = @task
         AND p.right_key > k.value || '~' AND p.right_key < k.value || char(127)`,
    ),
    countPairs: db.prepare('SELECT COUNT(*) AS n FROM twoway_pairs WHERE task = ?'),
    putPair: db.prepare(
      `INSERT INTO twoway_pairs (task, id, left_key, right_key, base, left_seen, right_seen, pending, inflight, updated_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (task, id) DO UPDATE SET left_key = excluded.left_key, right_key = excluded.right_key,
         base = excluded.base, left_seen = excluded.left_seen, right_seen = excluded.right_seen,
         pending = excluded.pending, inflight = excluded.inflight, updated_ms = excluded.updated_ms`,
    ),
    removePair: db.prepare('DELETE FROM twoway_pairs WHERE task = ? AND id = ?'),
    cursors: db.prepare('SELECT side, cursor FROM twoway_cursors WHERE task = ?'),
    putCursor: db.prepare(
      `INSERT INTO twoway_cursors (task, side, cursor, updated_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (task, side) DO UPDATE SET cursor = excluded.cursor, updated_ms = excluded.updated_ms`,
    ),
    putConflict: db.prepare(
      `INSERT INTO twoway_conflicts (task, pair_id, left_key, right_key, field, left_value, right_value,
         base_value, detected_ms, state)
       VALUES (@task, @pair_id, @left_key, @right_key, @field, @left_value, @right_value, @base_value, @now, 'open')
       ON CONFLICT (task, pair_id, field) WHERE state IN ('open', 'decided') DO UPDATE SET
         left_key = excluded.left_key, right_key = excluded.right_key,
         left_value = excluded.left_value, right_value = excluded.right_value`,
    ),
    resolve: db.prepare(
      `UPDATE twoway_conflicts SET state = 'resolved', decided_ms = COALESCE(decided_ms, ?)
       WHERE id = ? AND state IN ('open', 'decided')`,
    ),
    conflict: db.prepare('SELECT * FROM twoway_conflicts WHERE id = ?'),
    decide: db.prepare(
      `UPDATE twoway_conflicts SET state = 'decided', decision = ?, decided_ms = ?
       WHERE id = ? AND state = 'open'`,
    ),
    runStats: db.prepare('UPDATE runs SET stats = ? WHERE id = ?'),
  };

  const commit = db.transaction((c: TwoWayCommit) => {
    if (c.lease) handle.proveLease(c.task, TWO_WAY_UNIT, c.lease);
    const now = Date.now();
    // Removals first, so a replacing pair may reuse a key in the same commit.
    for (const id of c.removedPairs) s.removePair.run(c.task, id);
    // Positional parameters: binding by name costs more per row, and a first sync puts every pair.
    for (const pair of c.pairs) {
      s.putPair.run(
        c.task,
        pair.id,
        pair.leftKey,
        pair.rightKey,
        baseJson(pair.base),
        toJsonOrNull(pair.leftSeen),
        toJsonOrNull(pair.rightSeen),
        pair.pending,
        toJsonOrNull(pair.inflight),
        now,
      );
    }
    for (const conflict of c.conflicts) {
      s.putConflict.run({
        task: c.task,
        pair_id: conflict.pairId,
        left_key: conflict.leftKey,
        right_key: conflict.rightKey,
        field: conflict.field,
        left_value: toJson(conflict.leftValue),
        right_value: toJson(conflict.rightValue),
        base_value: toJson(conflict.baseValue),
        now,
      });
    }
    for (const id of c.resolvedConflicts) s.resolve.run(now, id);
    for (const [side, cursor] of Object.entries(c.cursors ?? {})) {
      s.putCursor.run(c.task, side, serializeCursor(cursor ?? null), now);
    }
    if (c.run) s.runStats.run(JSON.stringify(c.run.stats), c.run.id);
  });

  return {
    async loadPairs(task) {
      return (s.pairs.all(task) as Row[]).map((row) => toPair(row, 'text'));
    },
    async loadPairsForKeys(task, keys) {
      const rows = s.pairsForKeys.all({
        task,
        left: JSON.stringify(keys.left),
        right: JSON.stringify(keys.right),
      }) as Row[];
      return rows.map((row) => toPair(row, 'text'));
    },
    async countPairs(task) {
      return (s.countPairs.get(task) as { n: number }).n;
    },
    async getCursors(task) {
      const cursors: Record<Side, Cursor> = { left: null, right: null };
      for (const row of s.cursors.all(task) as Row[]) {
        cursors[row.side as Side] = parseCursor(
          row.cursor as string | null,
          `two-way task ${task}`,
        );
      }
      return cursors;
    },
    async commit(c) {
      await whenFree(() => commit.immediate(c));
    },
    async listConflicts(filter: ConflictFilter = {}) {
      const states = filter.states ?? ['open', 'decided'];
      const rows = db
        .prepare(
          `SELECT * FROM twoway_conflicts WHERE (@task IS NULL OR task = @task)
           AND state IN (SELECT value FROM json_each(@states)) ORDER BY id`,
        )
        .all({ task: filter.task ?? null, states: JSON.stringify(states) }) as Row[];
      return rows.map((row) => toConflict(row, 'text'));
    },
    async getConflict(id) {
      const row = s.conflict.get(id) as Row | undefined;
      return row ? toConflict(row, 'text') : null;
    },
    async decideConflict(id: number, decision: ConflictDecision): Promise<ConflictRow> {
      const checked = checkDecision(decision);
      const result = await whenFree(() => s.decide.run(toJson(checked), Date.now(), id));
      const row = s.conflict.get(id) as Row | undefined;
      if (result.changes === 0) throw notOpen(row ? toConflict(row, 'text') : null, id);
      return toConflict(row!, 'text');
    },
    async resetTask(task) {
      const reset = db.transaction(() => {
        for (const table of ['twoway_pairs', 'twoway_cursors', 'twoway_conflicts']) {
          db.prepare(`DELETE FROM ${table} WHERE task = ?`).run(task);
        }
      });
      await whenFree(() => reset.immediate());
    },
  };
}
