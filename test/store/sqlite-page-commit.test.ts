import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  emptyStats,
  type LinkWrite,
  openSqliteStore,
  type Store,
  storeHandle,
} from '../../src/store/index.js';

const LINKS = 3000;

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keepsync-page-commit-'));
  store = openSqliteStore({ path: join(dir, 'state.db'), secretKey: new Uint8Array(32) });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const keyOf = (index: number) => `k${String(index).padStart(5, '0')}`;
const link = (key: string, hash: string, passId?: string): LinkWrite => ({
  key,
  destId: `dest-${key}`,
  hash,
  sourceUpdatedMs: null,
  passId,
});

async function commit(unit: string, links: LinkWrite[]): Promise<void> {
  await store.commitPage({
    pipeline: 'p',
    unit,
    runId: await store.startRun('p', unit, 'manual'),
    links,
    removedLinks: [],
    deadLetters: [],
    resolvedDeadLetters: [],
    stats: emptyStats(),
  });
}

function database() {
  const handle = storeHandle(store);
  if (handle.dialect !== 'sqlite') throw new Error('expected a SQLite store');
  return handle.db;
}

/** Pages the commit wrote to the WAL, which is emptied first. */
async function pagesWrittenBy(work: () => Promise<void>): Promise<number> {
  const db = database();
  db.pragma('wal_checkpoint(TRUNCATE)');
  await work();
  const [checkpoint] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
  return checkpoint!.log;
}

describe('SQLite page commit', () => {
  it('updates spread-out links without rewriting the links_by_unit index when no pass is marked', async () => {
    for (let first = 0; first < LINKS; first += 1000) {
      const page = Array.from({ length: 1000 }, (_, i) => link(keyOf(first + i), 'v1'));
      await commit('u', page);
    }
    // Every 10th key: each of the table's leaves (and, rewritten, each of the index's) changes.
    const spread = (hash: string, passId?: string) =>
      Array.from({ length: LINKS / 10 }, (_, i) => link(keyOf(i * 10), hash, passId));

    const plain = await pagesWrittenBy(() => commit('u', spread('v2')));
    // A page that marks a pass has to set seen_pass, an indexed column, on every row.
    const marking = await pagesWrittenBy(() => commit('u', spread('v3', 'pass-1')));

    expect(plain).toBeGreaterThan(0);
    expect(plain).toBeLessThan(marking - 5);
    const links = await store.getLinks('p', [keyOf(0), keyOf(10), keyOf(1)]);
    expect([keyOf(0), keyOf(10), keyOf(1)].map((key) => links.get(key)?.hash)).toEqual([
      'v3',
      'v3',
      'v1',
    ]);
  });

  it('moves a link committed again by a page of another unit to that unit', async () => {
    await commit('u1', [link('a', 'v1'), link('b', 'v1')]);
    await commit('u2', [link('b', 'v2'), link('c', 'v1')]);

    expect(await store.countLinks('p', 'u1')).toBe(1);
    expect(await store.countLinks('p', 'u2')).toBe(2);
    expect((await store.getLinks('p', ['b'])).get('b')).toMatchObject({
      destId: 'dest-b',
      hash: 'v2',
    });
  });
});
