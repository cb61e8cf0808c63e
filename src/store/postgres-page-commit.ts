import { serializeCursor } from '../model/index.js';
import { type PgPool, type PgPoolClient, pgTransaction } from './pg.js';
import type { PostgresTables } from './postgres-schema.js';
import type { DeadLetterWrite, LeaseToken, LinkWrite, PageCommit } from './types.js';

type LeaseCheck = (
  client: PgPoolClient,
  pipeline: string,
  unit: string,
  lease: LeaseToken,
) => Promise<void>;

/** One transaction, and one statement per kind of change however large the page is. */
export async function commitPostgresPage(
  pool: PgPool,
  t: PostgresTables,
  checkLease: LeaseCheck,
  commit: PageCommit,
): Promise<void> {
  const { pipeline, unit } = commit;
  const now = Date.now();
  await pgTransaction(pool, async (client) => {
    if (commit.lease) await checkLease(client, pipeline, unit, commit.lease);
    if (commit.cursor) {
      await client.query(
        `INSERT INTO ${t.cursors} (pipeline, unit, cursor, pass_id, updated_ms)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (pipeline, unit) DO UPDATE SET cursor = EXCLUDED.cursor,
           pass_id = EXCLUDED.pass_id, updated_ms = EXCLUDED.updated_ms`,
        [pipeline, unit, serializeCursor(commit.cursor.cursor), commit.cursor.passId, now],
      );
    }
    const links = lastWritePerKey(commit.links);
    if (links.length > 0) {
      await client.query(
        `INSERT INTO ${t.links} (pipeline, key, unit, dest_id, hash, source_updated_ms, seen_pass)
         SELECT $1, k, $2, d, h, s, p
         FROM UNNEST($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS l(k, d, h, s, p)
         ON CONFLICT (pipeline, key) DO UPDATE SET unit = EXCLUDED.unit,
           dest_id = EXCLUDED.dest_id, hash = EXCLUDED.hash,
           source_updated_ms = EXCLUDED.source_updated_ms,
           seen_pass = COALESCE(EXCLUDED.seen_pass, ${t.links}.seen_pass)`,
        [
          pipeline,
          unit,
          links.map((link) => link.key),
          links.map((link) => link.destId),
          links.map((link) => link.hash),
          links.map((link) => link.sourceUpdatedMs),
          links.map((link) => link.passId ?? null),
        ],
      );
    }
    if (commit.seen && commit.seen.keys.length > 0) {
      await client.query(
        `UPDATE ${t.links} SET seen_pass = $1 WHERE pipeline = $2 AND key = ANY($3::text[])`,
        [commit.seen.passId, pipeline, commit.seen.keys],
      );
    }
    if (commit.removedLinks.length > 0) {
      await client.query(`DELETE FROM ${t.links} WHERE pipeline = $1 AND key = ANY($2::text[])`, [
        pipeline,
        commit.removedLinks,
      ]);
    }
    if (commit.resolvedDeadLetters.length > 0) {
      await client.query(
        `DELETE FROM ${t.deadLetters} WHERE pipeline = $1 AND key = ANY($2::text[])`,
        [pipeline, commit.resolvedDeadLetters],
      );
    }
    const letters = foldDeadLetters(commit.deadLetters);
    if (letters.length > 0) {
      await client.query(
        `INSERT INTO ${t.deadLetters}
           (pipeline, key, unit, error, record, attempts, first_failed_ms, last_failed_ms)
         SELECT $1, k, $2, e, r, n, $3, $3
         FROM UNNEST($4::text[], $5::text[], $6::text[], $7::int[]) AS d(k, e, r, n)
         ON CONFLICT (pipeline, key) DO UPDATE SET unit = EXCLUDED.unit,
           error = EXCLUDED.error,
           record = COALESCE(EXCLUDED.record, ${t.deadLetters}.record),
           attempts = ${t.deadLetters}.attempts + EXCLUDED.attempts,
           last_failed_ms = EXCLUDED.last_failed_ms`,
        [
          pipeline,
          unit,
          now,
          letters.map((letter) => letter.key),
          letters.map((letter) => letter.error),
          letters.map((letter) => letter.record),
          letters.map((letter) => letter.count),
        ],
      );
    }
    await client.query(`UPDATE ${t.runs} SET stats = $1 WHERE id = $2`, [
      JSON.stringify(commit.stats),
      commit.runId,
    ]);
  });
}

/**
 * One row per key, the last write winning, as the SQLite store's row-by-row upserts end up:
 * a single INSERT ... ON CONFLICT cannot touch the same row twice.
 */
function lastWritePerKey(links: readonly LinkWrite[]): LinkWrite[] {
  if (links.length < 2) return [...links];
  const byKey = new Map<string, LinkWrite>();
  for (const link of links) {
    byKey.delete(link.key);
    byKey.set(link.key, link);
  }
  return [...byKey.values()];
}

interface FoldedDeadLetter extends DeadLetterWrite {
  /** Failures of this key in the page; each one counts as an attempt. */
  readonly count: number;
}

/** One row per key with the same outcome as upserting the page's letters one by one. */
function foldDeadLetters(letters: readonly DeadLetterWrite[]): FoldedDeadLetter[] {
  const byKey = new Map<string, FoldedDeadLetter>();
  for (const letter of letters) {
    const previous = byKey.get(letter.key);
    byKey.delete(letter.key);
    byKey.set(letter.key, {
      key: letter.key,
      error: letter.error,
      record: letter.record ?? previous?.record ?? null,
      count: (previous?.count ?? 0) + 1,
    });
  }
  return [...byKey.values()];
}
