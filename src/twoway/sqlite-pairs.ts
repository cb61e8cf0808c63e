/** Inserts or replaces one pair; bound as task, the pair's columns, then `updated_ms`. */
export const PUT_PAIR_SQL = `INSERT INTO twoway_pairs (task, id, left_key, right_key, base, left_seen, right_seen, pending, inflight, updated_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (task, id) DO UPDATE SET left_key = excluded.left_key, right_key = excluded.right_key,
    base = excluded.base, left_seen = excluded.left_seen, right_seen = excluded.right_seen,
    pending = excluded.pending, inflight = excluded.inflight, updated_ms = excluded.updated_ms`;

export const RUN_STATS_SQL = 'UPDATE runs SET stats = ? WHERE id = ?';

/** The columns `PUT_PAIR_SQL` binds per pair, between the task and `updated_ms`. */
export const PAIR_COLUMNS = 8;
