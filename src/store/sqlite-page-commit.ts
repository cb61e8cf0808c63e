import type Database from 'better-sqlite3';
import { serializeCursor } from '../model/index.js';
import type { SqliteLeases } from './sqlite-leases.js';
import type { PageCommit } from './types.js';

/** A page's whole commit as one transaction: run it `.immediate(commit)`. */
export function sqlitePageCommit(
  db: Database.Database,
  leases: SqliteLeases,
): Database.Transaction<(commit: PageCommit) => void> {
  const s = prepare(db);
  return db.transaction((commit: PageCommit) => {
    if (commit.lease) leases.check(commit.pipeline, commit.unit, commit.lease);
    const now = Date.now();
    if (commit.cursor) {
      s.putCursor.run(
        commit.pipeline,
        commit.unit,
        serializeCursor(commit.cursor.cursor),
        commit.cursor.passId,
        now,
      );
    }
    // One statement per kind of change, its rows as one JSON parameter: a page of 1,000
    // links is one call into SQLite instead of a thousand bound statements.
    if (commit.links.length > 0) {
      const rows = JSON.stringify(
        commit.links.map((link) => [
          link.key,
          link.destId,
          link.hash,
          link.sourceUpdatedMs,
          link.passId ?? null,
        ]),
      );
      // Most pages mark no pass and move no link to another unit: their upsert leaves the
      // columns of links_by_unit alone, so SQLite does not rewrite that index's entries (an
      // update of spread-out keys otherwise dirties twice the pages). When a row is left
      // over (a link of another unit), the full upsert does the page again.
      const plain =
        commit.links.every((link) => link.passId == null) &&
        s.putLinksSameUnit.run(commit.pipeline, commit.unit, rows).changes === commit.links.length;
      if (!plain) s.putLinks.run(commit.pipeline, commit.unit, rows);
    }
    if (commit.seen && commit.seen.keys.length > 0) {
      s.markSeen.run(commit.seen.passId, commit.pipeline, JSON.stringify(commit.seen.keys));
    }
    if (commit.removedLinks.length > 0) {
      s.removeLinks.run(commit.pipeline, JSON.stringify(commit.removedLinks));
    }
    if (commit.resolvedDeadLetters.length > 0 && s.anyDeadLetter.get(commit.pipeline)) {
      s.removeDeadLetters.run(commit.pipeline, JSON.stringify(commit.resolvedDeadLetters));
    }
    for (const letter of commit.deadLetters) {
      s.putDeadLetter.run({
        pipeline: commit.pipeline,
        key: letter.key,
        unit: commit.unit,
        error: letter.error,
        record: letter.record,
        now,
      });
    }
    s.updateRunStats.run(JSON.stringify(commit.stats), commit.runId);
  });
}

function prepare(db: Database.Database) {
  return {
    putCursor: db.prepare(
      `INSERT INTO cursors (pipeline, unit, cursor, pass_id, updated_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pipeline, unit) DO UPDATE SET cursor = excluded.cursor, pass_id = excluded.pass_id,
         updated_ms = excluded.updated_ms`,
    ),
    putLinks: db.prepare(
      `INSERT INTO links (pipeline, key, unit, dest_id, hash, source_updated_ms, seen_pass)
       SELECT ?, value ->> 0, ?, value ->> 1, value ->> 2, value ->> 3, value ->> 4
       FROM json_each(?) WHERE true
       ON CONFLICT (pipeline, key) DO UPDATE SET unit = excluded.unit, dest_id = excluded.dest_id,
         hash = excluded.hash, source_updated_ms = excluded.source_updated_ms,
         seen_pass = COALESCE(excluded.seen_pass, links.seen_pass)`,
    ),
    putLinksSameUnit: db.prepare(
      `INSERT INTO links (pipeline, key, unit, dest_id, hash, source_updated_ms, seen_pass)
       SELECT ?, value ->> 0, ?, value ->> 1, value ->> 2, value ->> 3, NULL
       FROM json_each(?) WHERE true
       ON CONFLICT (pipeline, key) DO UPDATE SET dest_id = excluded.dest_id,
         hash = excluded.hash, source_updated_ms = excluded.source_updated_ms
       WHERE links.unit = excluded.unit`,
    ),
    markSeen: db.prepare(
      `UPDATE links SET seen_pass = ?
       WHERE pipeline = ? AND key IN (SELECT value FROM json_each(?))`,
    ),
    removeLinks: db.prepare(
      'DELETE FROM links WHERE pipeline = ? AND key IN (SELECT value FROM json_each(?))',
    ),
    anyDeadLetter: db.prepare('SELECT 1 FROM dead_letters WHERE pipeline = ? LIMIT 1').pluck(),
    removeDeadLetters: db.prepare(
      'DELETE FROM dead_letters WHERE pipeline = ? AND key IN (SELECT value FROM json_each(?))',
    ),
    putDeadLetter: db.prepare(
      `INSERT INTO dead_letters (pipeline, key, unit, error, record, attempts, first_failed_ms, last_failed_ms)
       VALUES (@pipeline, @key, @unit, @error, @record, 1, @now, @now)
       ON CONFLICT (pipeline, key) DO UPDATE SET unit = excluded.unit, error = excluded.error,
         record = COALESCE(excluded.record, dead_letters.record),
         attempts = dead_letters.attempts + 1, last_failed_ms = excluded.last_failed_ms`,
    ),
    updateRunStats: db.prepare('UPDATE runs SET stats = ? WHERE id = ?'),
  };
}
