import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fileNameForKey } from '../../src/connectors/files/index.js';
import { runWorker } from '../support/worker.js';

const workerArgs = (dir: string) => [
  join(dir, 'state.db'),
  join(dir, 'app.db'),
  join(dir, 'notes'),
];

const ROWS = 600;
const FILES = 600;
const TRIALS = 8;
const worker = join(import.meta.dirname, 'crash-worker.ts');

describe('two-way crash safety', () => {
  it(`loses no edit and duplicates no object across ${2 * TRIALS} SIGKILLs mid-run (SQL <-> YAML files)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-twoway-crash-'));
    const notes = join(dir, 'notes');
    mkdirSync(notes);
    const db = new Database(join(dir, 'app.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE notes (key TEXT PRIMARY KEY, title TEXT, state TEXT, updated_at TEXT)');
    let clock = Date.UTC(2024, 0, 1);
    const stamp = () => {
      clock += 1;
      return new Date(clock).toISOString();
    };
    const insert = db.prepare('INSERT INTO notes VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(`s${i}`, `title s${i}`, 'open', stamp());
    })();
    const writeNote = (key: string, fields: Record<string, unknown>) =>
      writeFileSync(
        join(notes, fileNameForKey(key, 'yaml')),
        `key: ${key}\nfields:\n${Object.entries(fields)
          .map(([name, value]) => `  ${name}: ${JSON.stringify(value)}\n`)
          .join('')}`,
      );
    const readNote = (key: string) =>
      parse(readFileSync(join(notes, fileNameForKey(key, 'yaml')), 'utf8')).fields as Record<
        string,
        unknown
      >;
    for (let i = 0; i < FILES; i++) writeNote(`f${i}`, { title: `title f${i}`, state: 'open' });

    // What each object must end up holding: titles are edited in SQL, states in files.
    const expected = new Map<string, { title: string; state: string }>();
    for (let i = 0; i < ROWS; i++) expected.set(`s${i}`, { title: `title s${i}`, state: 'open' });
    for (let i = 0; i < FILES; i++) expected.set(`f${i}`, { title: `title f${i}`, state: 'open' });
    const keys = [...expected.keys()];
    let edits = 0;
    /** Edits made while no sync runs (the worker is dead): a title in SQL, a state in a file. */
    const editBoth = (round: number) => {
      for (let n = 0; n < 150; n++) {
        const key = keys[Math.floor(Math.random() * keys.length)]!;
        const row = db.prepare('SELECT 1 FROM notes WHERE key = ?').get(key);
        const title = `title ${key} r${round}.${n}`;
        if (row) {
          db.prepare('UPDATE notes SET title = ?, updated_at = ? WHERE key = ?').run(
            title,
            stamp(),
            key,
          );
          expected.get(key)!.title = title;
          edits++;
        }
        const other = keys[Math.floor(Math.random() * keys.length)]!;
        try {
          const fields = readNote(other);
          const state = `state r${round}.${n}`;
          writeNote(other, { ...fields, state });
          expected.get(other)!.state = state;
          edits++;
        } catch {
          // Not created on the files side yet: it gets the SQL values on creation.
        }
      }
    };

    const crashes = { initial: 0, edits: 0 };
    for (let trial = 0; trial < 2 * TRIALS; trial++) {
      if (trial >= TRIALS) editBoth(trial);
      const outcome = await runWorker(
        worker,
        workerArgs(dir),
        50 + Math.floor(Math.random() * 400),
      );
      if (outcome.killed) crashes[trial < TRIALS ? 'initial' : 'edits']++;
    }
    console.log('crashes', crashes);
    const final = await runWorker(worker, workerArgs(dir), null);
    expect(final.stdout).toContain('DONE succeeded');
    // Most kills must land mid-run, or the test proves nothing; the runs are sized for this.
    expect(crashes.initial).toBeGreaterThanOrEqual(TRIALS - 1);
    expect(crashes.edits).toBeGreaterThanOrEqual(TRIALS / 2);
    expect(edits).toBeGreaterThan(0);

    // No duplicates on either side: exactly the original objects, under their own keys.
    const rows = db.prepare('SELECT key, title, state FROM notes ORDER BY key').all() as Array<{
      key: string;
      title: string;
      state: string;
    }>;
    expect(rows.length).toBe(ROWS + FILES);
    expect(new Set(rows.map((row) => row.key))).toEqual(new Set(keys));
    const fileNames = readdirSync(notes).filter((name) => !name.startsWith('.'));
    expect(fileNames.length).toBe(ROWS + FILES);
    // No lost edit: both sides hold every last edit.
    for (const row of rows) {
      const want = expected.get(row.key)!;
      expect({ title: row.title, state: row.state }, `SQL ${row.key}`).toEqual(want);
      expect(readNote(row.key), `file ${row.key}`).toEqual(want);
    }
    db.close();
  }, 300_000);
});
