import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/postgres.js';
import { spawnServe } from './child.js';
import { SECRET, tempSqlitePath, token } from './helpers.js';

const TRIALS = 6;
const PUSHERS = 4;
const BATCH = 25;

interface Batch {
  readonly id: string;
  readonly atomic: boolean;
  readonly docs: string[];
  /** new_version per doc once a response came back. */
  acked: Map<string, string> | null;
}

/** The store under the killed servers, read directly between and after the kills. */
interface CrashStore {
  readonly label: string;
  serveArgs(): Promise<string[]>;
  /** The stored documents of scope `crash` with `from <= doc_id < to`. */
  countDocs(from: string, to: string): Promise<number>;
  versions(): Promise<Map<string, string>>;
  oplog(): Promise<Array<{ doc_id: string; version: string; scope_seq: number }>>;
}

function sqliteStore(): CrashStore {
  const db = tempSqlitePath();
  const read = <T>(work: (sqlite: Database.Database) => T): T => {
    const sqlite = new Database(db, { readonly: true });
    try {
      return work(sqlite);
    } finally {
      sqlite.close();
    }
  };
  return {
    label: 'SQLite',
    serveArgs: async () => ['--db', db],
    countDocs: async (from, to) =>
      read(
        (sqlite) =>
          sqlite
            .prepare(
              "SELECT COUNT(*) AS n FROM sync_documents WHERE scope = 'crash' AND doc_id >= ? AND doc_id < ?",
            )
            .get(from, to) as { n: number },
      ).n,
    versions: async () =>
      read(
        (sqlite) =>
          new Map(
            (
              sqlite
                .prepare("SELECT doc_id, version FROM sync_documents WHERE scope = 'crash'")
                .all() as Array<{ doc_id: string; version: string }>
            ).map((row) => [row.doc_id, row.version]),
          ),
      ),
    oplog: async () =>
      read(
        (sqlite) =>
          sqlite
            .prepare(
              "SELECT doc_id, version, scope_seq FROM sync_oplog WHERE scope = 'crash' ORDER BY scope_seq",
            )
            .all() as Array<{ doc_id: string; version: string; scope_seq: number }>,
      ),
  };
}

const database = freshDatabase('crash');
afterAll(() => database.drop());

function postgresStore(): CrashStore {
  let pool: pg.Pool | undefined;
  const query = async <T>(text: string, values: unknown[] = []): Promise<T[]> => {
    pool ??= await database.pool({ max: 1 });
    return (await pool.query(text, values)).rows as T[];
  };
  return {
    label: 'PostgreSQL',
    serveArgs: async () => ['--postgres', await database.url()],
    countDocs: async (from, to) =>
      Number(
        (
          await query<{ n: string }>(
            `SELECT COUNT(*) AS n FROM keepsync.sync_documents
             WHERE scope = 'crash' AND doc_id >= $1 AND doc_id < $2`,
            [from, to],
          )
        )[0]!.n,
      ),
    versions: async () =>
      new Map(
        (
          await query<{ doc_id: string; version: string }>(
            "SELECT doc_id, version FROM keepsync.sync_documents WHERE scope = 'crash'",
          )
        ).map((row) => [row.doc_id, row.version]),
      ),
    oplog: async () =>
      (
        await query<{ doc_id: string; version: string; scope_seq: string }>(
          "SELECT doc_id, version, scope_seq FROM keepsync.sync_oplog WHERE scope = 'crash' ORDER BY scope_seq",
        )
      ).map((row) => ({ ...row, scope_seq: Number(row.scope_seq) })),
  };
}

describe.each([sqliteStore(), postgresStore()])('sync server crash safety on $label', (store) => {
  it(`keeps every acknowledged change and never half-applies a batch across ${TRIALS} SIGKILLs during pushes`, async () => {
    const serve = async () => [
      ...(await store.serveArgs()),
      '--jwt-secret',
      SECRET,
      '--scope-claim',
      'tenant',
    ];
    const jwt = await token({ sub: 'crash', tenant: 'crash' }, { expiresIn: '1h' });
    const batches: Batch[] = [];
    let next = 0;

    async function push(url: string, batch: Batch): Promise<void> {
      const response = await fetch(`${url}/sync/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: 'crash-client',
          atomic: batch.atomic,
          changes: batch.docs.map((docId) => ({
            id: `${docId}-change`,
            collection: 'tasks',
            operation: 'upsert',
            doc_id: docId,
            data: { batch: batch.id, pad: 'p'.repeat(300) },
            parent_version: null,
          })),
        }),
      });
      expect(response.status).toBe(200);
      const { results } = (await response.json()) as {
        results: Array<{ doc_id: string; status: string; new_version: string }>;
      };
      expect(results.every((result) => result.status === 'accepted')).toBe(true);
      batch.acked = new Map(results.map((result) => [result.doc_id, result.new_version]));
    }

    let killedMidPush = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const child = await spawnServe(await serve());
      // First, retry every batch whose answer was lost in the last crash (idempotent).
      for (const batch of batches.filter((candidate) => candidate.acked === null))
        await push(child.url, batch);
      let stop = false;
      let inFlight = 0;
      const loops = Array.from({ length: PUSHERS }, async () => {
        while (!stop) {
          const id = `b${next++}`;
          const batch: Batch = {
            id,
            atomic: next % 2 === 0,
            docs: Array.from({ length: BATCH }, (_, index) => `${id}-d${index}`),
            acked: null,
          };
          batches.push(batch);
          inFlight++;
          try {
            await push(child.url, batch);
          } catch {
            return; // the server died under this request: its answer is lost
          } finally {
            inFlight--;
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 500));
      if (inFlight > 0) killedMidPush++;
      child.process.kill('SIGKILL');
      stop = true;
      await Promise.all(loops);
      expect(await child.exited).toBe('SIGKILL');
      // Right after the kill: every batch whose answer was lost is all there or not at all.
      for (const batch of batches.filter((candidate) => candidate.acked === null)) {
        expect([0, BATCH]).toContain(await store.countDocs(`${batch.id}-d`, `${batch.id}-e`));
      }
    }
    // A final server: retry what is left, then stop cleanly.
    const last = await spawnServe(await serve());
    for (const batch of batches.filter((candidate) => candidate.acked === null))
      await push(last.url, batch);
    last.process.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    expect(killedMidPush).toBe(TRIALS);

    const versions = await store.versions();
    const oplog = await store.oplog();

    const acked = batches.flatMap((batch) => [...batch.acked!.entries()]);
    expect(acked.length).toBe(batches.length * BATCH);
    // Every acknowledged change is there, with the version the client was told.
    for (const [docId, version] of acked) expect(versions.get(docId)).toBe(version);
    // Exactly one oplog entry per change: no retry made a second version, nothing half-applied.
    expect(oplog.length).toBe(acked.length);
    expect(new Set(oplog.map((entry) => entry.doc_id)).size).toBe(acked.length);
    // The scope's seqs survived every kill without a gap: a rolled-back batch used none.
    expect(oplog.map((entry) => entry.scope_seq)).toEqual(oplog.map((_, index) => index + 1));
    expect(versions.size).toBe(acked.length);
  }, 120_000);
});
