import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runWorker } from '../support/worker.js';

/** On both sides with the same title: matched with nothing to write (stored as settled). */
const MATCHED = 12_500;
/** On the left only: created on the right. */
const LEFT_ONLY = 100;
const TRIALS = 6;
/** Kills that must land mid-run for the test to have tested resuming. */
const MIN_KILLS = 3;
const worker = join(import.meta.dirname, 'initial-crash-worker.ts');

describe('two-way initial sync crash safety', () => {
  it(`links every object once across up to ${TRIALS} SIGKILLs between and inside the settled commits`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-twoway-initial-crash-'));
    const args = [join(dir, 'state.db'), join(dir, 'app.db')];
    const app = new Database(args[1]);
    app.pragma('journal_mode = WAL');
    for (const table of ['left_notes', 'right_notes']) {
      app.exec(`CREATE TABLE ${table} (key TEXT PRIMARY KEY, title TEXT, updated_at TEXT)`);
    }
    const insert = (table: string, key: string) =>
      app
        .prepare(`INSERT INTO ${table} VALUES (?, ?, ?)`)
        .run(key, `title ${key}`, '2024-01-01T00:00:00.000Z');
    app.transaction(() => {
      for (let i = 0; i < MATCHED; i++) {
        insert('left_notes', `m${i}`);
        insert('right_notes', `m${i}`);
      }
      for (let i = 0; i < LEFT_ONLY; i++) insert('left_notes', `l${i}`);
    })();

    // Settled pairs go in commits of 50 batches of 25 (1,250 pairs): ten of them, then the
    // creates in batches of 25. Each trial is killed just after its first commit (so each
    // one stores a part and the next resumes), inside or after the commit that follows. On a
    // loaded machine the kill lands late and a trial gets further, so trials go on until one
    // finishes by itself; what must hold is that enough of them were cut mid-run.
    let killed = 0;
    let finished = false;
    for (let trial = 0; trial < TRIALS && !finished; trial++) {
      const outcome = await runWorker(worker, args, Math.floor(Math.random() * 30), {
        marker: 'COMMIT',
        occurrences: 1,
      });
      if (outcome.killed) killed++;
      else finished = outcome.stdout.includes('DONE succeeded');
    }
    const final = await runWorker(worker, args, null);
    expect(final.stdout).toContain('DONE succeeded');
    expect(killed).toBeGreaterThanOrEqual(MIN_KILLS);

    const state = new Database(args[0], { readonly: true });
    const pairs = state
      .prepare("SELECT left_key, right_key, pending FROM twoway_pairs WHERE task = 'initial'")
      .all() as Array<{ left_key: string; right_key: string; pending: string | null }>;
    state.close();
    // One pair per object, each linking the object to its namesake, none left pending.
    expect(pairs.length).toBe(MATCHED + LEFT_ONLY);
    for (const pair of pairs) {
      expect(pair.right_key, `pair of ${pair.left_key}`).toBe(pair.left_key);
      expect(pair.pending).toBeNull();
    }
    // No duplicate object on either side (a second create would take `key~2`).
    const keys = (table: string) =>
      (app.prepare(`SELECT key FROM ${table} ORDER BY key`).all() as Array<{ key: string }>).map(
        (row) => row.key,
      );
    expect(keys('right_notes')).toEqual(keys('left_notes'));
    expect(keys('right_notes').length).toBe(MATCHED + LEFT_ONLY);
    app.close();
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
