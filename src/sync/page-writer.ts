import { describeError, recordToJson, type SyncRecord } from '../model/index.js';
import type { CursorState, DeadLetterWrite, LinkWrite, RunStats, Store } from '../store/index.js';
import type { DestinationSession, UnreadableRecord, WriteOp } from './contracts.js';
import { type PlannedWrite, type WriteOutcome, writePlanned } from './destination-writes.js';
import { ARCHIVED_HASH } from './hash.js';
import { writeLinkingEachCreate } from './linked-creates.js';
import type { Logger } from './logger.js';
import { pageStopError } from './outage.js';
import { type PreparedPage, preparePage } from './page-prepare.js';
import type { Pipeline } from './pipeline.js';
import { omit } from './route.js';

export interface PageWriterOptions {
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly unit: string;
  readonly runId: number;
  readonly session: DestinationSession;
  readonly stats: RunStats;
  readonly logger: Logger;
  readonly signal?: AbortSignal | undefined;
}

export interface PageCommitPlan {
  /** Moves the cursor with the page; omitted by targeted runs. */
  readonly cursor?: CursorState | undefined;
  /** The full pass this page belongs to, for delete detection. */
  readonly passId?: string | undefined;
  /** Records the source could not read: dead letters, and still present (not deleted). */
  readonly unreadable?: readonly UnreadableRecord[] | undefined;
}

/**
 * Each key's new hash for the store to compare with its link: null for a deletion, and null
 * for a key the page names twice with different content, so its link comes back to compare.
 */
function pageHashes(page: PreparedPage): Map<string, string | null> {
  const hashes = new Map<string, string | null>();
  for (const { record, hash } of page.valid) {
    const earlier = hashes.get(record.key);
    hashes.set(record.key, earlier === undefined || earlier === hash ? hash : null);
  }
  return hashes;
}

/**
 * Plans and writes one page of routed records against the store's links, then commits
 * cursor + links + hashes + dead letters + stats in one store transaction.
 */
export class PageWriter {
  readonly #o: PageWriterOptions;

  constructor(options: PageWriterOptions) {
    this.#o = options;
  }

  /** Writes records; throws AuthError (after committing what was written) on an auth failure. */
  async writePage(records: readonly SyncRecord[], plan: PageCommitPlan): Promise<void> {
    await this.writePrepared(preparePage(records, this.#o.pipeline), plan);
  }

  /** Writes a page `preparePage` checked and hashed; throws as writePage does. */
  async writePrepared(page: PreparedPage, plan: PageCommitPlan): Promise<void> {
    const { pipeline, store } = this.#o;
    const deadLetters: DeadLetterWrite[] = [];
    const { valid } = page;
    for (const { record, error } of page.invalid) this.#refuse(record, error, deadLetters);
    const createOnly = pipeline.route.createOnly ?? [];
    const stampField = pipeline.route.syncedAtField;

    const links = await store.getChangedLinks(pipeline.name, pageHashes(page));
    // A create that upserts by key needs no lookup, unless create-only fields must be kept.
    const needsLookup = !this.#o.session.createsUpsertByKey || createOnly.length > 0;
    const unlinked = needsLookup
      ? valid.filter(({ record }) => !record.deleted && links.get(record.key) === null)
      : [];
    const found =
      unlinked.length > 0
        ? await this.#o.session.lookup(unlinked.map(({ record }) => record.key))
        : new Map<string, string>();

    const writes: PlannedWrite[] = [];
    const seen: string[] = [];
    for (const { key, error } of plan.unreadable ?? []) {
      deadLetters.push({ key, error, record: null });
      seen.push(key);
    }
    for (const { record, hash } of valid) {
      const answer = links.get(record.key);
      if (answer === undefined) {
        // Linked with this very hash: nothing to write.
        seen.push(record.key);
        this.#o.stats.unchanged++;
        continue;
      }
      const link = answer ?? undefined;
      const sourceUpdatedMs = record.updatedAt?.getTime() ?? null;
      if (record.deleted || hash === null) {
        if (link && pipeline.deletes !== 'ignore' && link.hash !== ARCHIVED_HASH) {
          writes.push({
            op: { kind: pipeline.deletes, key: record.key, destId: link.destId },
            hash: ARCHIVED_HASH,
            sourceUpdatedMs,
            record: null,
          });
        } else if (link) {
          seen.push(record.key);
          this.#o.stats.unchanged++;
        }
        continue;
      }
      const stale =
        link?.sourceUpdatedMs != null &&
        sourceUpdatedMs !== null &&
        sourceUpdatedMs < link.sourceUpdatedMs;
      if (link && (link.hash === hash || stale)) {
        seen.push(record.key);
        this.#o.stats.unchanged++;
        continue;
      }
      const destId = link?.destId ?? found.get(record.key);
      // The stamp is set only on a write: its content changed, so the stamp moves with it.
      const written = stampField
        ? { ...record, fields: { ...record.fields, [stampField]: new Date() } }
        : record;
      const op: WriteOp =
        destId === undefined
          ? { kind: 'create', key: record.key, record: written }
          : {
              kind: 'update',
              key: record.key,
              destId,
              record: { ...written, fields: omit(written.fields, createOnly) },
            };
      writes.push({ op, hash, sourceUpdatedMs, record });
    }

    const outcome = this.#o.session.linksEachCreate
      ? await writeLinkingEachCreate(writes, {
          write: (batch) => writePlanned(batch, this.#o),
          commitLink: (link) =>
            this.#o.store.commitPage({
              pipeline: this.#o.pipeline.name,
              unit: this.#o.unit,
              runId: this.#o.runId,
              links: [{ ...link, passId: plan.passId }],
              removedLinks: [],
              deadLetters: [],
              resolvedDeadLetters: [link.key],
              stats: this.#o.stats,
            }),
        })
      : await writePlanned(writes, this.#o);
    const stop = this.#stopError(writes.length, outcome);
    // A page the breaker refused is read again: its rejections are not the records' fault.
    if (stop?.code !== 'TOO_MANY_REJECTED') deadLetters.push(...outcome.rejected);
    const linkWrites: LinkWrite[] = [];
    const removed: string[] = [];
    const resolved: string[] = [];
    for (const { planned, destId } of outcome.done) {
      const { op } = planned;
      resolved.push(op.key);
      if (op.kind === 'delete') {
        removed.push(op.key);
        this.#o.stats.deleted++;
        continue;
      }
      if (op.kind === 'archive') this.#o.stats.deleted++;
      else if (op.kind === 'create') this.#o.stats.created++;
      else this.#o.stats.updated++;
      linkWrites.push({
        key: op.key,
        destId,
        hash: planned.hash,
        sourceUpdatedMs: planned.sourceUpdatedMs,
        passId: plan.passId,
      });
    }
    this.#o.stats.failed += deadLetters.length;
    this.#o.stats.pages++;
    await store.commitPage({
      pipeline: pipeline.name,
      unit: this.#o.unit,
      runId: this.#o.runId,
      // An auth failure or an outage leaves the cursor where it was: the page is read again.
      // What was written is linked all the same, so the next run finds it unchanged.
      cursor: outcome.authError || stop ? undefined : plan.cursor,
      links: linkWrites,
      seen: plan.passId ? { passId: plan.passId, keys: seen } : undefined,
      removedLinks: removed,
      deadLetters,
      resolvedDeadLetters: resolved,
      stats: this.#o.stats,
    });
    if (outcome.authError) throw outcome.authError;
    if (stop) throw stop;
  }

  /** Marks keys as seen by this pass without writing them: the source says they still exist. */
  async markSeen(keys: readonly string[], passId: string): Promise<void> {
    await this.#o.store.commitPage({
      pipeline: this.#o.pipeline.name,
      unit: this.#o.unit,
      runId: this.#o.runId,
      links: [],
      seen: { passId, keys },
      removedLinks: [],
      deadLetters: [],
      resolvedDeadLetters: [],
      stats: this.#o.stats,
    });
  }

  /** Objects a full pass did not see are deleted or archived, in batches. */
  async removeMissing(ops: readonly WriteOp[], passId: string): Promise<void> {
    const deadLetters: DeadLetterWrite[] = [];
    const writes = ops.map((op) => ({
      op,
      hash: ARCHIVED_HASH,
      sourceUpdatedMs: null,
      record: null,
    }));
    const outcome = await writePlanned(writes, this.#o);
    const stop = this.#stopError(writes.length, outcome);
    if (stop?.code !== 'TOO_MANY_REJECTED') deadLetters.push(...outcome.rejected);
    const removed: string[] = [];
    const archived: LinkWrite[] = [];
    for (const { planned, destId } of outcome.done) {
      this.#o.stats.deleted++;
      if (planned.op.kind === 'delete') removed.push(planned.op.key);
      else
        archived.push({
          key: planned.op.key,
          destId,
          hash: ARCHIVED_HASH,
          sourceUpdatedMs: null,
          passId,
        });
    }
    this.#o.stats.failed += deadLetters.length;
    await this.#o.store.commitPage({
      pipeline: this.#o.pipeline.name,
      unit: this.#o.unit,
      runId: this.#o.runId,
      links: archived,
      // Failed removals are marked seen so this pass does not list them again.
      seen: { passId, keys: deadLetters.map((letter) => letter.key) },
      removedLinks: removed,
      deadLetters,
      resolvedDeadLetters: [],
      stats: this.#o.stats,
    });
    if (outcome.authError) throw outcome.authError;
    if (stop) throw stop;
  }

  #stopError(attempted: number, outcome: WriteOutcome) {
    if (outcome.authError) return null;
    return pageStopError(
      {
        pipeline: this.#o.pipeline.name,
        unit: this.#o.unit,
        destination: this.#o.pipeline.destination.name,
        attempted,
        rejected: outcome.rejected.length,
        firstRejection: outcome.rejected[0]?.error,
        failing: outcome.failing,
        lastFailure: outcome.lastFailure,
      },
      this.#o.pipeline.circuitBreaker,
    );
  }

  #refuse(record: SyncRecord, error: unknown, deadLetters: DeadLetterWrite[]): void {
    const key = typeof record?.key === 'string' ? record.key.trim() : '';
    if (key === '') {
      this.#o.stats.refused++;
      this.#o.logger.warn(
        { pipeline: this.#o.pipeline.name, unit: this.#o.unit },
        `${describeError(error)} (pipeline ${this.#o.pipeline.name}, unit ${this.#o.unit})`,
      );
      return;
    }
    let json: string | null = null;
    try {
      json = recordToJson(record);
    } catch {
      // A record whose values have no JSON form cannot be kept; its error says why.
    }
    deadLetters.push({ key, error: describeError(error), record: json });
  }
}
