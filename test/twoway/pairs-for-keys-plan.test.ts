import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type Store, storeHandle } from '../../src/store/index.js';
import { type PairState, twoWayStore } from '../../src/twoway/index.js';
import { freshDatabase } from '../support/postgres.js';

const PAIRS = 20_000;
const ASKED = 2_500;
const key = (i: number) => `task-${String(i).padStart(5, '0')}`;

function pair(i: number): PairState {
  return {
    id: `pair-${String(i).padStart(5, '0')}`,
    leftKey: key(i),
    rightKey: i % 50 === 0 ? `${key(i - 1)}~2` : key(i),
    base: { left: { title: `Task ${i}` }, right: { name: `Task ${i}` } },
    leftSeen: null,
    rightSeen: null,
    pending: i % 500 === 0 ? 'right' : null,
  };
}

/**
 * An incremental two-way run loads the pairs of the keys it read (a few thousand) from the
 * PostgreSQL store in one query: each key must be an index search, as the SQLite store's
 * are, or the load costs keys x pairs. Asserted on the server's own plan.
 */
describe('loading the pairs of changed keys on PostgreSQL', () => {
  const database = freshDatabase('pairplan');
  let store: Store;

  beforeAll(async () => {
    store = await openPostgresStore({ connectionString: await database.url() });
    const tw = twoWayStore(store);
    for (let start = 0; start < PAIRS; start += 2_000) {
      const pairs = Array.from({ length: 2_000 }, (_, at) => pair(start + at + 1));
      await tw.commit({
        task: 'plan',
        pairs,
        removedPairs: [],
        conflicts: [],
        resolvedConflicts: [],
      });
    }
    const handle = storeHandle(store);
    if (handle.dialect !== 'postgres') throw new Error('expected the PostgreSQL store');
    await handle.pool.query(`ANALYZE ${handle.schema}.twoway_pairs`);
  });

  afterAll(async () => {
    await store?.close();
    await database.drop();
  });

  it('searches the key indexes for thousands of keys instead of scanning every pair per key', async () => {
    const handle = storeHandle(store);
    if (handle.dialect !== 'postgres') throw new Error('expected the PostgreSQL store');
    const asked: Array<{ text: string; values: unknown[] }> = [];
    const query = handle.pool.query.bind(handle.pool);
    handle.pool.query = ((text: string, values: unknown[]) => {
      asked.push({ text, values });
      return query(text, values);
    }) as typeof handle.pool.query;
    const keys = {
      left: Array.from({ length: ASKED }, (_, i) => key(i * 7 + 3)),
      right: Array.from({ length: ASKED }, (_, i) => key(i * 7 + 5)),
    };
    let pairs: PairState[];
    try {
      pairs = await twoWayStore(store).loadPairsForKeys('plan', keys);
    } finally {
      handle.pool.query = query;
    }
    expect(pairs.length).toBeGreaterThan(ASKED);
    expect(asked).toHaveLength(1);
    const plan = (await query(`EXPLAIN ${asked[0]!.text}`, asked[0]!.values)).rows
      .map((row) => String(row['QUERY PLAN']))
      .join('\n');
    // Each key list is the outer side of a nested loop whose inner side searches that key's
    // index (the key itself and its `key~n` range); the pairs table is scanned at most once,
    // for the pairs with state of their own, never joined by hash or merge against the keys.
    for (const side of ['left', 'right']) {
      const search = new RegExp(
        `Index Scan on twoway_pairs_${side} .*\\n\\s*Index Cond: \\(\\(task = 'plan'::text\\) AND \\(${side}_key = k(_\\d+)?\\.k\\)\\)`,
      );
      expect(plan, plan).toMatch(search);
    }
    expect(plan.match(/Seq Scan on twoway_pairs\b/g)?.length ?? 0, plan).toBeLessThanOrEqual(1);
    expect(plan, plan).not.toMatch(/Hash Join|Merge Join/);
  });
});
