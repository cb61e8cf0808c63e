import type { Cursor, Fields, SyncRecord } from '../model/index.js';

/** One independently scheduled piece of a source, e.g. one GitHub org or one table. */
export interface SourceUnit {
  readonly id: string;
}

/** Counters a connector reports while it works, so run stats show where time went. */
export interface ConnectorTelemetry {
  /** A request was retried after a retryable failure. */
  retried(): void;
  /** Time spent waiting on a rate limiter or a Retry-After. */
  waitedForRateLimit(ms: number): void;
}

export interface ReadOptions {
  /** Where to resume; `null` = from the start (full pass) or from the beginning of time. */
  readonly cursor: Cursor;
  /**
   * A targeted read (a webhook refresh): only these keys are wanted. A source that cannot
   * look keys up may read everything; the engine keeps only the named keys.
   */
  readonly keys?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly telemetry: ConnectorTelemetry;
}

/** A record the source could not read (a malformed file): it becomes that key's dead letter. */
export interface UnreadableRecord {
  readonly key: string;
  /** Names the place, e.g. "contacts/ada.yaml line 3: ...". */
  readonly error: string;
}

export interface SourcePage {
  readonly records: readonly SyncRecord[];
  /** Records of this page that could not be read; the rest of the page goes on. */
  readonly unreadable?: readonly UnreadableRecord[] | undefined;
  /** Resume point after this page. */
  readonly cursor: Cursor;
  /** How many records this read yields in all, when the source knows (for progress bars). */
  readonly expectedTotal?: number | undefined;
  /**
   * Full mode: the cursor the next pass starts from once this pass completes (the newest one
   * any page gave; omitted = `null`). For what a source must remember across passes, such as
   * the identity of what it lists, never a place to resume: a read given it lists everything.
   */
  readonly nextPassCursor?: Cursor | undefined;
}

/**
 * `full`: every pass lists everything, so a record missing from a complete pass is gone.
 * `incremental`: the cursor means "changes since"; deletes arrive only as tombstones.
 */
export type SourceMode = 'full' | 'incremental';

export interface ConfirmOptions {
  readonly signal?: AbortSignal | undefined;
  readonly telemetry: ConnectorTelemetry;
}

/** What a source found when it looked up keys a complete pass did not list. */
export interface MissingCheck {
  /** Keys the source confirms are gone from the unit (deleted, or moved out of it). */
  readonly gone: readonly string[];
  /**
   * Records that still exist though the listing skipped them (it shifted between pages);
   * the engine writes them as part of the pass. A key in neither list is kept untouched.
   */
  readonly found: readonly SyncRecord[];
}

export interface Source {
  readonly name: string;
  readonly mode: SourceMode;
  units(): readonly SourceUnit[] | Promise<readonly SourceUnit[]>;
  /** Reads one unit as a lazy sequence of pages. */
  read(unit: string, options: ReadOptions): AsyncIterable<SourcePage>;
  /**
   * Looks up, by key, records a complete full pass did not list, before the engine archives
   * or deletes them: a page-numbered or offset listing shifts when a record is deleted
   * between two page requests, and the record after it is never listed.
   *
   * A source without it cannot confirm. The engine then reads the unit once more and
   * removes only the keys missing from both listings: a shift hides a record again only if
   * another deletion lands at the same place during the second read.
   */
  confirmMissing?(
    unit: string,
    keys: readonly string[],
    options: ConfirmOptions,
  ): Promise<MissingCheck>;
}

export type WriteOp =
  | { readonly kind: 'create'; readonly key: string; readonly record: SyncRecord }
  | {
      readonly kind: 'update';
      readonly key: string;
      readonly destId: string;
      /** Only the fields to change; fields absent here keep their stored values. */
      readonly record: SyncRecord;
    }
  | { readonly kind: 'archive' | 'delete'; readonly key: string; readonly destId: string };

export type WriteResult =
  | { readonly status: 'ok'; readonly destId: string }
  /** Worth another try (5xx, 429, timeout); when the retries run out the run fails. */
  | { readonly status: 'retryable'; readonly error: string; readonly retryAfterMs?: number }
  /** The destination refused this record's value (validation); retrying will not help. */
  | { readonly status: 'rejected'; readonly error: string }
  /**
   * The destination as a whole cannot take writes (its schema, permissions, storage), whatever
   * the record: the run fails at once and the page is read again next run.
   */
  | { readonly status: 'unavailable'; readonly error: string }
  /** Only a person can fix it: re-authorize. */
  | { readonly status: 'auth'; readonly error: string };

export interface SessionContext {
  readonly pipeline: string;
  readonly unit: string;
  readonly signal?: AbortSignal | undefined;
  readonly telemetry: ConnectorTelemetry;
}

export interface DestinationSession {
  /**
   * Finds objects already written for these keys, so a write that reached the destination
   * but not the store becomes an update instead of a duplicate. Destinations that cannot
   * keep the key on their objects return an empty map and rely on the store's links.
   */
  lookup(keys: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /**
   * True when a create of key K writes the object whose id is K, patching it if it is already
   * there (an SQL upsert): a create then does what an update would, so the engine skips
   * lookup() unless the pipeline has create-only fields to keep.
   */
  readonly createsUpsertByKey?: boolean;
  /**
   * True when nothing in the destination carries the key (Luma), so a create whose link is
   * not committed cannot be found again: the engine then sends creates one at a time and
   * commits each one's link as soon as it succeeds, not with the page, so a crash duplicates
   * at most the create in flight.
   */
  readonly linksEachCreate?: boolean;
  /** Writes a batch; one result per op, in the same order. */
  write(ops: readonly WriteOp[]): Promise<readonly WriteResult[]>;
  close(): Promise<void>;
}

export interface Destination {
  readonly name: string;
  open(context: SessionContext): Promise<DestinationSession>;
  /** Removes everything this destination holds (used by `keepsync reset --truncate`). */
  truncate?(): Promise<void>;
  /**
   * Lists the objects it holds, page by page, with their content read back as neutral
   * values, so `keepsync verify` can find objects edited or deleted by hand. A destination
   * that cannot list (or cannot read its content back) leaves it out.
   */
  list?(context: SessionContext): AsyncIterable<readonly ListedObject[]>;
}

/** One object a destination holds, as `Destination.list()` reads it back. */
export interface ListedObject {
  /** The record key the object carries; null when nothing on it names the key. */
  readonly key: string | null;
  readonly destId: string;
  /** Its content under the record's field names (not the destination's column names). */
  readonly fields: Fields;
  /** Its body, when the destination stores bodies; undefined when it does not. */
  readonly body?: string | undefined;
  /** True when the object is archived (kept, but no longer live). */
  readonly archived?: boolean | undefined;
}
