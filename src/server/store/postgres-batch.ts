import type { PgPoolClient } from '../../store/index.js';
import { type BatchPlan, docKey } from './plan.js';
import { type Statement, toDocument } from './postgres-schema.js';
import type { ApplyBatchInput, ChangeResult, StoreChange, StoredDocument } from './types.js';

/**
 * A push's statements on PostgreSQL, four round trips in all: BEGIN with the documents' locks,
 * read their state and the earlier results, write everything, COMMIT. The read and the write
 * are sent as `BatchTarget.statement` makes them (a named prepared statement unless turned
 * off).
 */

/** What the planner needs from the database: current documents and replayable results. */
export interface BatchState {
  readonly current: Map<string, StoredDocument | null>;
  readonly replays: Map<string, ChangeResult>;
}

/** Where a store keeps its tables and announces its commits. */
export interface BatchTarget {
  /** The quoted schema name. */
  readonly schema: string;
  readonly channel: string;
  /** The advisory lock key serialising oplog appends store-wide. */
  readonly oplogLock: string;
  readonly statement: Statement;
}

/**
 * Per-document locks (sorted, so two batches never deadlock), which also cover documents that
 * do not exist yet, as row locks cannot. A statement of its own: under READ COMMITTED a
 * statement's snapshot is taken when it starts, so the read after it sees what the previous
 * holder of a lock committed. Its keys are quoted literals (`escapeLiteral`), not parameters,
 * so that it can travel with BEGIN in one simple query: a round trip less per push.
 */
export function documentLocks(
  escapeLiteral: (value: string) => string,
  input: ApplyBatchInput<StoreChange>,
): string {
  const keys = new Set(
    input.changes.map((change) => `${input.scope}\u001f${change.collection}\u001f${change.docId}`),
  );
  // One row back, not one (void) row per document for the driver to parse.
  return `SELECT count(pg_advisory_xact_lock(h)) FROM (
      SELECT DISTINCT hashtextextended(k, 0) AS h
      FROM unnest(ARRAY[${[...keys].map(escapeLiteral).join(',')}]::text[]) AS k ORDER BY 1
    ) AS keys`;
}

/**
 * The documents a batch names and its earlier results by idempotency key, in one read. Each key
 * is its own primary-key probe (a LATERAL subquery the planner cannot flatten into a join):
 * joined plainly, statistics that undercount a scope's documents made PostgreSQL hash every
 * document of the scope on every push.
 */
export async function readBatchState(
  client: PgPoolClient,
  target: BatchTarget,
  input: ApplyBatchInput<StoreChange>,
): Promise<BatchState> {
  const s = target.schema;
  const keys = input.changes
    .map((change) => change.idempotencyKey)
    .filter((key): key is string => key !== null);
  const { rows } = await client.query(
    target.statement(
      `SELECT NULL::text AS result, d.collection, d.doc_id, d.data, d.version, d.edit_version,
         d.deleted, d.updated_ms, d.actor_id
       FROM unnest($2::text[], $3::text[]) AS w(collection, doc_id)
       CROSS JOIN LATERAL (
         SELECT collection, doc_id, data, version, edit_version, deleted, updated_ms, actor_id
         FROM ${s}.sync_documents
         WHERE scope = $1 AND collection = w.collection AND doc_id = w.doc_id LIMIT 1
       ) AS d
       UNION ALL
       SELECT i.result, NULL, i.key, NULL, NULL, NULL, NULL, NULL, NULL
       FROM unnest($5::text[]) AS k(key)
       CROSS JOIN LATERAL (
         SELECT key, result FROM ${s}.sync_idempotency
         WHERE scope = $1 AND client_id = $4 AND key = k.key LIMIT 1
       ) AS i`,
      [
        input.scope,
        input.changes.map((change) => change.collection),
        input.changes.map((change) => change.docId),
        input.clientId,
        keys,
      ],
    ),
  );
  const current = new Map<string, StoredDocument | null>();
  const replays = new Map<string, ChangeResult>();
  for (const row of rows) {
    if (row.result !== null) {
      replays.set(row.doc_id, JSON.parse(row.result));
      continue;
    }
    const doc = toDocument({ ...row, scope: input.scope });
    current.set(docKey(doc.collection, doc.docId), doc);
  }
  return { current, replays };
}

/** Numbers the statement's parameters as they are used: PostgreSQL refuses unused ones. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
  /** A parameter added on first use, then referred to again. */
  shared(value: unknown, type: string): () => string {
    let ref: string | undefined;
    return () => {
      ref ??= this.add(value, type);
      return ref;
    };
  }
}

/**
 * One oplog entry as a row of the write's JSON parameter. `ev` (the document's edit version)
 * is set on the entry that leaves its document in its final state, the batch's last for that
 * document: the documents' rows are those entries, so each document's JSON is sent once.
 */
interface EntryRow {
  readonly n: number;
  readonly c: string;
  readonly d: string;
  readonly o: string;
  readonly v: string;
  readonly da: string | null;
  readonly ci: string | null;
  readonly ch: string | null;
  readonly cr: number;
  readonly ev: string | null;
}

function entryRows(plan: BatchPlan): EntryRow[] {
  const final = new Set<string>();
  const rows: EntryRow[] = new Array(plan.oplog.length);
  for (let index = plan.oplog.length - 1; index >= 0; index--) {
    const entry = plan.oplog[index]!;
    const key = docKey(entry.collection, entry.docId);
    const last = !final.has(key);
    final.add(key);
    rows[index] = {
      n: index + 1,
      c: entry.collection,
      d: entry.docId,
      o: entry.operation,
      v: entry.version,
      da: entry.data,
      ci: entry.clientId,
      ch: entry.changeId,
      cr: entry.createdMs,
      ev: last ? plan.documents.get(key)!.editVersion : null,
    };
  }
  return rows;
}

/**
 * The plan's writes as one statement, returning the scope's new last seq (null when the batch
 * appended nothing). Rows travel as one JSON parameter (`json_to_recordset`), not as arrays:
 * JSON.stringify escapes natively what node-postgres's array literals escaped with two regular
 * expressions per element, the larger part of a push's CPU time in the driver. The documents
 * are written first (the lock's CTE reads theirs); then the oplog lock is taken and held to
 * commit, the scope's seqs allocated under its row lock (ON CONFLICT DO UPDATE reads the newest
 * committed row, whatever the statement's snapshot), and the entries appended in order, so seqs
 * become visible strictly in order across processes. The CTEs nothing reads (the append, the
 * idempotency results) run to completion at the statement's end.
 */
export async function writeBatch(
  client: PgPoolClient,
  target: BatchTarget,
  input: ApplyBatchInput<StoreChange>,
  plan: BatchPlan,
): Promise<number | null> {
  const s = target.schema;
  const p = new Params();
  const scope = p.shared(input.scope, 'text');
  const actor = p.shared(input.actorId, 'text');
  const steps: string[] = [];
  const oplog = plan.oplog;
  if (oplog.length > 0) {
    steps.push(`entries AS (
      SELECT * FROM json_to_recordset(${p.add(JSON.stringify(entryRows(plan)), 'json')})
        AS t(n bigint, c text, d text, o text, v text, da text, ci text, ch text, cr bigint, ev text))`);
    steps.push(`docs AS (
      INSERT INTO ${s}.sync_documents (scope, collection, doc_id, data, version, edit_version, deleted, updated_ms, actor_id)
      SELECT ${scope()}, c, d, da, v, ev, o = 'delete', cr, ${actor()} FROM entries WHERE ev IS NOT NULL
      ON CONFLICT (scope, collection, doc_id) DO UPDATE SET
        data = excluded.data, version = excluded.version, edit_version = excluded.edit_version,
        deleted = excluded.deleted, updated_ms = excluded.updated_ms, actor_id = excluded.actor_id
      RETURNING 1)`);
  }
  if (plan.idempotency.length > 0) {
    const clientId = p.add(input.clientId, 'text');
    const now = p.add(Date.now(), 'bigint');
    const rows = JSON.stringify(
      plan.idempotency.map((entry) => ({ k: entry.key, r: JSON.stringify(entry.result) })),
    );
    steps.push(`replays AS (
      INSERT INTO ${s}.sync_idempotency (scope, client_id, key, result, created_ms)
      SELECT ${scope()}, ${clientId}, k, r, ${now}
      FROM json_to_recordset(${p.add(rows, 'json')}) AS t(k text, r text)
      ON CONFLICT DO NOTHING)`);
  }
  let result = 'SELECT NULL::bigint AS last_seq';
  if (oplog.length > 0) {
    const count = p.add(oplog.length, 'bigint');
    const lock = p.add(target.oplogLock, 'bigint');
    steps.push(
      `oplog_lock AS (SELECT pg_advisory_xact_lock(${lock}) FROM (SELECT count(*) FROM docs) AS written)`,
      `seq AS (
        INSERT INTO ${s}.sync_scopes (scope, last_seq, pruned_through)
        SELECT ${scope()}, ${count}, 0 FROM oplog_lock
        ON CONFLICT (scope) DO UPDATE SET last_seq = ${s}.sync_scopes.last_seq + excluded.last_seq
        RETURNING last_seq)`,
      `appended AS (
        INSERT INTO ${s}.sync_oplog (scope, scope_seq, collection, doc_id, op, version, data, client_id, change_id, created_ms, actor_id)
        SELECT ${scope()}, seq.last_seq - ${count} + e.n, e.c, e.d, e.o, e.v, e.da, e.ci, e.ch, e.cr, ${actor()}
        FROM seq, entries AS e
        ORDER BY e.n)`,
    );
    // Delivered on commit only: the scope and its seq (listeners read the oplog themselves).
    const channel = p.add(target.channel, 'text');
    result = `SELECT seq.last_seq, pg_notify(${channel},
      json_build_object('s', ${scope()}, 'q', seq.last_seq)::text) FROM seq`;
  }
  if (steps.length === 0) return null;
  const { rows } = await client.query(
    target.statement(`WITH ${steps.join(',\n')}\n${result}`, p.values),
  );
  return rows[0].last_seq === null ? null : Number(rows[0].last_seq);
}
