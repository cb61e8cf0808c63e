import {
  AuthError,
  assertValidRecord,
  describeError,
  RecordError,
  recordToJson,
  type SyncRecord,
} from '../model/index.js';
import { RetryableError, withRetry } from '../net/index.js';
import type { CursorState, DeadLetterWrite, LinkWrite, RunStats, Store } from '../store/index.js';
import type { DestinationSession, UnreadableRecord, WriteOp, WriteResult } from './contracts.js';
import { ARCHIVED_HASH, contentHash } from './hash.js';
import type { Logger } from './logger.js';
import type { Pipeline } from './pipeline.js';
import { omit } from './route.js';

/** One planned write and what the link becomes when it succeeds. */
interface PlannedWrite {
  readonly op: WriteOp;
  readonly hash: string;
  readonly sourceUpdatedMs: number | null;
  readonly record: SyncRecord | null;
}

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
    const { pipeline, store } = this.#o;
    const deadLetters: DeadLetterWrite[] = [];
    const valid: Array<{ record: SyncRecord; hash: string | null }> = [];
    const createOnly = pipeline.route.createOnly ?? [];
    for (const [index, record] of records.entries()) {
      try {
        assertValidRecord(record, `record #${index + 1} of this page`);
        const hash = record.deleted
          ? null
          : contentHash(record.key, omit(record.fields, createOnly), record.body);
        valid.push({ record, hash });
      } catch (error) {
        this.#refuse(record, error, deadLetters);
      }
    }

    const keys = valid.map(({ record }) => record.key);
    const links = await store.getLinks(pipeline.name, keys);
    const unlinked = valid.filter(({ record }) => !record.deleted && !links.has(record.key));
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
      const link = links.get(record.key);
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
      const op: WriteOp =
        destId === undefined
          ? { kind: 'create', key: record.key, record }
          : {
              kind: 'update',
              key: record.key,
              destId,
              record: { ...record, fields: omit(record.fields, createOnly) },
            };
      writes.push({ op, hash, sourceUpdatedMs, record });
    }

    const outcome = await this.#write(writes, deadLetters);
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
      // An auth failure leaves the cursor where it was: the page is read again after resume.
      cursor: outcome.authError ? undefined : plan.cursor,
      links: linkWrites,
      seen: plan.passId ? { passId: plan.passId, keys: seen } : undefined,
      removedLinks: removed,
      deadLetters,
      resolvedDeadLetters: resolved,
      stats: this.#o.stats,
    });
    if (outcome.authError) throw outcome.authError;
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
    const outcome = await this.#write(writes, deadLetters);
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

  async #write(
    writes: readonly PlannedWrite[],
    deadLetters: DeadLetterWrite[],
  ): Promise<{
    done: Array<{ planned: PlannedWrite; destId: string }>;
    authError: AuthError | null;
  }> {
    const done: Array<{ planned: PlannedWrite; destId: string }> = [];
    let pending = writes;
    let authError: AuthError | null = null;
    const lastErrors = new Map<string, string>();
    if (pending.length === 0) return { done, authError };
    try {
      await withRetry(
        async () => {
          const results = await this.#writeBatch(pending);
          const retry: PlannedWrite[] = [];
          let retryAfterMs: number | undefined;
          results.forEach((result, index) => {
            const planned = pending[index]!;
            switch (result.status) {
              case 'ok':
                done.push({ planned, destId: result.destId });
                break;
              case 'rejected':
                deadLetters.push(this.#deadLetter(planned, result.error));
                break;
              case 'auth':
                authError ??= new AuthError(result.error);
                break;
              case 'retryable':
                lastErrors.set(planned.op.key, result.error);
                retryAfterMs = Math.max(retryAfterMs ?? 0, result.retryAfterMs ?? 0) || undefined;
                retry.push(planned);
                break;
            }
          });
          // Nothing more is written once the destination refused the credential.
          pending = authError ? [] : retry;
          if (pending.length > 0) {
            throw new RetryableError(`${pending.length} writes to retry`, { retryAfterMs });
          }
        },
        {
          retries: this.#o.pipeline.writeRetries,
          minDelayMs: this.#o.pipeline.retryMinDelayMs,
          signal: this.#o.signal,
          onRetry: () => {
            this.#o.stats.retries++;
          },
          onRateLimitWait: (ms) => {
            this.#o.stats.rateLimitWaitMs += ms;
          },
        },
      );
    } catch (error) {
      if (error instanceof AuthError || (error as { code?: string })?.code === 'AUTH_FAILED') {
        authError = error as AuthError;
      } else if (!(error instanceof RetryableError)) {
        throw error;
      }
    }
    if (!authError) {
      for (const planned of pending) {
        deadLetters.push(
          this.#deadLetter(planned, lastErrors.get(planned.op.key) ?? 'retries exhausted'),
        );
      }
    }
    return { done, authError };
  }

  async #writeBatch(pending: readonly PlannedWrite[]): Promise<readonly WriteResult[]> {
    let results: readonly WriteResult[];
    try {
      results = await this.#o.session.write(pending.map((planned) => planned.op));
    } catch (error) {
      if ((error as { code?: string })?.code === 'AUTH_FAILED') throw error;
      const message = describeError(error);
      return pending.map(() => ({ status: 'retryable', error: message }) as const);
    }
    if (results.length !== pending.length) {
      throw new RecordError(
        `destination ${this.#o.pipeline.destination.name} returned ${results.length} results for ${pending.length} writes`,
        {},
      );
    }
    return results;
  }

  #deadLetter(planned: PlannedWrite, error: string): DeadLetterWrite {
    return {
      key: planned.op.key,
      error: `${planned.op.kind} failed: ${error}`,
      record: planned.record ? recordToJson(planned.record) : null,
    };
  }
}
