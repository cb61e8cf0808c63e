import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openPostgresStore,
  openSqliteStore,
  type Store,
  storeHandle,
} from '../../src/store/index.js';
import { type PairState, twoWayStore } from '../../src/twoway/index.js';
import { freshDatabase } from '../support/postgres.js';

const PAIRS = 20_000;
const ASKED = 2_500;
const TASK = 'plan';
const key = (i: number) => `task-${String(i).padStart(5, '0')}`;
const pairId = (i: number) => `pair-${String(i).padStart(5, '0')}`;
const keys = {
  left: Array.from({ length: ASKED }, (_, i) => key(i * 7 + 3)),
  right: Array.from({ length: ASKED }, (_, i) => key(i * 7 + 5)),
};
/** Conflicts on every 4th pair, all resolved (a history) but those of a few pairs. */
const hasConflict = (i: number) => i % 4 === 0;
const hasLiveConflict = (i: number) => i % 300 === 0 && i % 600 !== 0;

function pair(i: number): PairState {
  return {
    id: pairId(i),
    leftKey: key(i),
    rightKey: i % 1_100 === 0 ? null : i % 50 === 0 ? `${key(i - 1)}~2` : key(i),
    base: { left: { title: `Task ${i}` }, right: { name: `Task ${i}` } },
    leftSeen: i % 700 === 0 ? { values: { title: `Edited ${i}` }, updatedMs: i } : null,
    rightSeen: null,
    pending: i % 500 === 0 ? 'right' : null,
    inflight: i % 900 === 0 ? { right: { name: [`Task ${i} again`] } } : null,
  };
}

/** The pairs the load must return: the asked keys (and their `key~n` twins) and every pair with state. */
function expectedIds(): string[] {
  // Keys here hold no `~` but as a twin's suffix.
  const asked = (column: string | null, list: ReadonlySet<string>) =>
    column !== null && list.has(column.split('~')[0]!);
  const left = new Set(keys.left);
  const right = new Set(keys.right);
  const ids: string[] = [];
  for (let i = 1; i <= PAIRS; i++) {
    const p = pair(i);
    const withState =
      p.pending !== null ||
      p.leftSeen !== null ||
      p.inflight != null ||
      p.rightKey === null ||
      hasLiveConflict(i);
    if (withState || asked(p.leftKey, left) || asked(p.rightKey, right)) ids.push(p.id);
  }
  return ids;
}

async function fill(store: Store): Promise<void> {
  const tw = twoWayStore(store);
  const empty = { removedPairs: [], conflicts: [], resolvedConflicts: [] };
  for (let start = 0; start < PAIRS; start += 2_000) {
    const pairs = Array.from({ length: 2_000 }, (_, at) => pair(start + at + 1));
    await tw.commit({ ...empty, task: TASK, pairs });
  }
  const conflicted = Array.from({ length: PAIRS }, (_, n) => n + 1).filter(hasConflict);
  await tw.commit({
    ...empty,
    task: TASK,
    pairs: [],
    conflicts: conflicted.map((i) => ({
      pairId: pairId(i),
      leftKey: key(i),
      rightKey: pair(i).rightKey,
      field: 'title',
      leftValue: `Left ${i}`,
      rightValue: `Right ${i}`,
      baseValue: `Task ${i}`,
    })),
  });
  const resolved = (await tw.listConflicts({ task: TASK }))
    .filter((conflict) => !hasLiveConflict(Number(conflict.pairId.slice('pair-'.length))))
    .map((conflict) => conflict.id);
  await tw.commit({ ...empty, task: TASK, pairs: [], resolvedConflicts: resolved });
}

async function loadedIds(store: Store): Promise<string[]> {
  const pairs = await twoWayStore(store).loadPairsForKeys(TASK, keys);
  return pairs.map((p) => p.id).sort();
}

/**
 * An incremental two-way run loads the pairs of the keys it read (a few thousand) from the
 * PostgreSQL store in one query: each key must be an index search, as the SQLite store's
 * are, or the load costs keys x pairs; the pairs with state of their own come from their
 * partial index, not a scan of every pair. Asserted on the server's own plan.
 */
describe('loading the pairs of changed keys on PostgreSQL', () => {
  const database = freshDatabase('pairplan');
  let store: Store;

  beforeAll(async () => {
    store = await openPostgresStore({ connectionString: await database.url() });
    await fill(store);
    const handle = storeHandle(store);
    if (handle.dialect !== 'postgres') throw new Error('expected the PostgreSQL store');
    await handle.pool.query(`ANALYZE ${handle.schema}.twoway_pairs`);
    await handle.pool.query(`ANALYZE ${handle.schema}.twoway_conflicts`);
  });

  afterAll(async () => {
    await store?.close();
    await database.drop();
  });

  it('searches indexes for thousands of keys and for the pairs with state, scanning no pairs', async () => {
    const handle = storeHandle(store);
    if (handle.dialect !== 'postgres') throw new Error('expected the PostgreSQL store');
    const asked: Array<{ text: string; values: unknown[] }> = [];
    const query = handle.pool.query.bind(handle.pool);
    handle.pool.query = ((text: string, values: unknown[]) => {
      asked.push({ text, values });
      return query(text, values);
    }) as typeof handle.pool.query;
    let ids: string[];
    try {
      ids = await loadedIds(store);
    } finally {
      handle.pool.query = query;
    }
    expect(ids).toEqual(expectedIds());
    expect(asked).toHaveLength(1);
    const plan = (await query(`EXPLAIN ${asked[0]!.text}`, asked[0]!.values)).rows
      .map((row) => String(row['QUERY PLAN']))
      .join('\n');
    // Each key list is the outer side of a nested loop whose inner side searches that key's
    // index (the key itself and its `key~n` range), never joined by hash or merge.
    for (const side of ['left', 'right']) {
      const search = new RegExp(
        `Index Scan on twoway_pairs_${side} .*\\n\\s*Index Cond: \\(\\(task = 'plan'::text\\) AND \\(${side}_key = k(_\\d+)?\\.k\\)\\)`,
      );
      expect(plan, plan).toMatch(search);
    }
    // The pairs with state of their own: their partial index; those with live conflicts: the
    // live-conflict index, then each pair by primary key. Neither table is read whole.
    expect(plan, plan).toMatch(/(Index Scan using|Bitmap Index Scan on) twoway_pairs_with_state\b/);
    expect(plan, plan).toMatch(/(Index Scan using|Bitmap Index Scan on) twoway_conflicts_\w+/);
    expect(plan, plan).toMatch(/Index Scan using twoway_pairs_pkey on twoway_pairs p\b/);
    expect(plan, plan).not.toMatch(/Seq Scan on twoway_(pairs|conflicts)\b/);
    expect(plan, plan).not.toMatch(/Hash Join|Merge Join/);
  });

  it('gives a schema made before the index the index when the store is opened', async () => {
    const handle = storeHandle(store);
    if (handle.dialect !== 'postgres') throw new Error('expected the PostgreSQL store');
    // The schema as the previous keepsync left it: no index, no record of its migration.
    await handle.pool.query(`DROP INDEX ${handle.schema}.twoway_pairs_with_state`);
    await handle.pool.query(
      `DELETE FROM ${handle.schema}.keepsync_migrations WHERE id = 'twoway-pairs-with-state'`,
    );
    const reopened = await openPostgresStore({ connectionString: await database.url() });
    try {
      const { rows } = await handle.pool.query(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'twoway_pairs_with_state'",
      );
      expect(rows).toHaveLength(1);
      expect(String(rows[0]!.indexdef)).toMatch(/WHERE \(\(pending IS NOT NULL\) OR /);
      expect(await loadedIds(reopened)).toEqual(expectedIds());
    } finally {
      await reopened.close();
    }
  });
});

/**
 * The same load on the SQLite store, whose planner (without statistics) walked every pair
 * of the task for the pairs with state and every conflict for the live ones.
 */
describe('loading the pairs of changed keys on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-pairplan-'));
  const path = join(dir, 'keepsync.db');

  beforeAll(async () => {
    const store = openSqliteStore({ path });
    await fill(store);
    await store.close();
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The plan of the load's statement, prepared on a store not used yet by the two-way code. */
  async function loadPlan(opened: Store): Promise<{ ids: string[]; plan: string }> {
    const handle = storeHandle(opened);
    if (handle.dialect !== 'sqlite') throw new Error('expected the SQLite store');
    const prepared: string[] = [];
    const prepare = handle.db.prepare.bind(handle.db);
    handle.db.prepare = ((source: string) => {
      prepared.push(source);
      return prepare(source);
    }) as typeof handle.db.prepare;
    let ids: string[];
    try {
      ids = await loadedIds(opened);
    } finally {
      handle.db.prepare = prepare;
    }
    const load = prepared.filter((source) => source.includes('json_each(@left)'));
    expect(load).toHaveLength(1);
    const plan = (
      handle.db.prepare(`EXPLAIN QUERY PLAN ${load[0]}`).all({
        task: TASK,
        left: JSON.stringify(keys.left),
        right: JSON.stringify(keys.right),
      }) as Array<{
        detail: string;
      }>
    )
      .map((row) => row.detail)
      .join('\n');
    return { ids, plan };
  }

  function expectIndexSearches(plan: string): void {
    expect(plan, plan).toMatch(
      /SEARCH twoway_pairs USING INDEX twoway_pairs_with_state \(task=\?\)/,
    );
    expect(plan, plan).toMatch(/SEARCH c USING INDEX twoway_conflicts_\w+ \(/);
    expect(plan, plan).toMatch(/SEARCH p USING PRIMARY KEY \(task=\? AND id=\?\)/);
    expect(plan, plan).toMatch(
      /SEARCH p USING INDEX twoway_pairs_left \(task=\? AND left_key=\?\)/,
    );
    expect(plan, plan).toMatch(
      /SEARCH p USING INDEX twoway_pairs_right \(task=\? AND right_key=\?\)/,
    );
    // No table read whole, nor every pair of the task walked by primary key.
    expect(plan, plan).not.toMatch(/SCAN (twoway_pairs|twoway_conflicts|p|c)\b/);
    expect(plan, plan).not.toMatch(/SEARCH twoway_pairs USING PRIMARY KEY \(task=\?\)/);
  }

  it('searches indexes for the keys and for the pairs with state, scanning no table', async () => {
    const store = openSqliteStore({ path });
    try {
      const { ids, plan } = await loadPlan(store);
      expect(ids).toEqual(expectedIds());
      expectIndexSearches(plan);
    } finally {
      await store.close();
    }
  });

  it('gives a store file made before the index the index when it is opened', async () => {
    const before = openSqliteStore({ path });
    const handle = storeHandle(before);
    if (handle.dialect !== 'sqlite') throw new Error('expected the SQLite store');
    // The file as the previous keepsync left it: no index, no record of its migration.
    handle.db.exec('DROP INDEX twoway_pairs_with_state');
    handle.db.exec("DELETE FROM keepsync_migrations WHERE id = 'twoway-pairs-with-state'");
    await before.close();

    const store = openSqliteStore({ path });
    try {
      const reopened = storeHandle(store);
      if (reopened.dialect !== 'sqlite') throw new Error('expected the SQLite store');
      const index = reopened.db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'twoway_pairs_with_state'",
        )
        .all();
      expect(index).toHaveLength(1);
      const { ids, plan } = await loadPlan(store);
      expect(ids).toEqual(expectedIds());
      expectIndexSearches(plan);
    } finally {
      await store.close();
    }
  });
});
