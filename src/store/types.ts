import type { Cursor } from '../model/index.js';

/** Where a record landed in the destination and what was written there. */
export interface Link {
  readonly key: string;
  readonly destId: string;
  /** Content hash of what was last written. */
  readonly hash: string;
  /** The source's modification time of what was last written (ms), for newest-wins merges. */
  readonly sourceUpdatedMs: number | null;
}

export interface LinkWrite extends Link {
  /** Marks the link as seen by this full pass (delete detection); omit for incremental reads. */
  readonly passId?: string | undefined;
}

export interface CursorState {
  readonly cursor: Cursor;
  /** The full pass in progress, so a resumed pass keeps the marks of its committed pages. */
  readonly passId: string | null;
}

export interface RunStats {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  /** Records refused before any write (empty key, invalid values). */
  refused: number;
  retries: number;
  rateLimitWaitMs: number;
  pages: number;
  /** Set by a verification (`keepsync verify`): what it found in the destination. */
  drift?: DriftCounts | undefined;
}

/** What a verification found: objects deleted, edited or added by hand, and repairs made. */
export interface DriftCounts {
  /** Synced records whose object is gone from the destination (or archived there). */
  missing: number;
  /** Synced, unchanged records whose object differs from what keepsync wrote. */
  changed: number;
  /** Objects in the destination keepsync has no link for (kept; never deleted). */
  extra: number;
  /** Missing and changed objects re-written from the source. */
  repaired: number;
}

export function emptyStats(): RunStats {
  return {
    read: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    failed: 0,
    refused: 0,
    retries: 0,
    rateLimitWaitMs: 0,
    pages: 0,
  };
}

export interface DeadLetterWrite {
  readonly key: string;
  readonly error: string;
  /** The routed record as JSON, so `dead-letters retry` can write it without re-reading. */
  readonly record: string | null;
}

export interface DeadLetter extends DeadLetterWrite {
  readonly pipeline: string;
  readonly unit: string;
  readonly attempts: number;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
}

/** Proof that a run holds its unit's lease: who took it, and which taking it was. */
export interface LeaseToken {
  readonly owner: string;
  /** Goes up each time the lease changes hands, so an old holder's token never matches again. */
  readonly epoch: number;
}

/** A lease just taken (or renewed by its owner). */
export interface LeaseGrant extends LeaseToken {
  /** Runs the previous holder left at `running` (it stopped renewing), now marked `crashed`. */
  readonly crashedRuns: readonly number[];
}

/** Everything one page changes, committed in ONE transaction. */
export interface PageCommit {
  readonly pipeline: string;
  readonly unit: string;
  readonly runId: number;
  /**
   * Fencing: when given, the commit checks in its own transaction that this lease still
   * holds, and fails with `LEASE_LOST` (changing nothing) once another engine has taken it.
   */
  readonly lease?: LeaseToken | undefined;
  /** Omitted by targeted runs, which never move the cursor. */
  readonly cursor?: CursorState | undefined;
  readonly links: readonly LinkWrite[];
  /** Unchanged records of a full pass: only their pass mark moves. */
  readonly seen?: { readonly passId: string; readonly keys: readonly string[] } | undefined;
  readonly removedLinks: readonly string[];
  readonly deadLetters: readonly DeadLetterWrite[];
  /** Keys written successfully now, so their old dead letters go away. */
  readonly resolvedDeadLetters: readonly string[];
  /** Cumulative stats of the run so far. */
  readonly stats: RunStats;
}

/**
 * `crashed`: its engine stopped renewing the lease mid-run (killed, or stalled) and another
 * took it. `lease-lost`: the run itself learnt that another engine took its lease, and stopped
 * without committing another page (its error names the new holder). `aborted`: stopped by a
 * shutdown (Ctrl-C, SIGTERM) or the caller's signal.
 */
export type RunStatus =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'paused'
  | 'aborted'
  | 'lease-lost'
  | 'crashed';
/** `verify` compares the destination with the links; `repair` re-writes what it found. */
export type RunTrigger =
  | 'schedule'
  | 'manual'
  | 'keys'
  | 'dead-letters'
  | 'resume'
  | 'verify'
  | 'repair';

export interface RunRow {
  readonly id: number;
  readonly pipeline: string;
  readonly unit: string;
  readonly trigger: RunTrigger;
  readonly status: RunStatus;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly stats: RunStats;
  readonly error: string | null;
}

export interface RunFilter {
  readonly pipeline?: string | undefined;
  readonly unit?: string | undefined;
  readonly limit: number;
  readonly afterId?: number | undefined;
}

/** The schedule and status row of one (pipeline, unit). */
export interface UnitState {
  readonly pipeline: string;
  readonly unit: string;
  readonly nextRunAt: Date | null;
  readonly paused: boolean;
  readonly pausedReason: string | null;
  readonly syncRequested: boolean;
  /** Keys named by a targeted sync-now; null = the whole unit. */
  readonly requestedKeys: readonly string[] | null;
  readonly lastRunId: number | null;
  readonly leaseOwner: string | null;
  /** When the current holder took the lease (renewals keep it). */
  readonly leaseSince: Date | null;
  readonly leaseExpiresAt: Date | null;
}

export type UnitStatePatch = Partial<
  Pick<
    UnitState,
    'nextRunAt' | 'paused' | 'pausedReason' | 'syncRequested' | 'requestedKeys' | 'lastRunId'
  >
>;

/**
 * The one narrow interface every state backend implements (SQLite embedded, PostgreSQL
 * shared). All methods are async so both fit; each call is atomic on its own.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';

  getLinks(pipeline: string, keys: readonly string[]): Promise<Map<string, Link>>;
  /**
   * What a page must act on, given each key's new content hash: every key without a link
   * (null) and every key whose link has another hash (its link). A null hash (a deletion)
   * always gets its answer. A key left out has a link with exactly the hash given, so a
   * no-change page reads no link at all.
   */
  getChangedLinks(
    pipeline: string,
    hashes: ReadonlyMap<string, string | null>,
  ): Promise<Map<string, Link | null>>;
  countLinks(pipeline: string, unit?: string): Promise<number>;
  /**
   * Links of a unit that the given full pass did not see (deleted at the source), leaving
   * out objects already archived (link hash `archived`).
   */
  listUnseenLinks(pipeline: string, unit: string, passId: string, limit: number): Promise<Link[]>;
  /**
   * Forgets everything kept for a pipeline (units, cursors, links, runs, dead letters), e.g.
   * after it was renamed; returns how many units it had.
   */
  forgetPipeline(pipeline: string): Promise<number>;
  /** Forgets every link of a pipeline (after its destination was truncated). */
  deleteLinks(pipeline: string): Promise<number>;

  getCursor(pipeline: string, unit: string): Promise<CursorState | null>;
  /** Forgets the cursors so the next run re-reads everything. Returns how many were reset. */
  resetCursors(pipeline: string): Promise<number>;
  commitPage(commit: PageCommit): Promise<void>;

  startRun(pipeline: string, unit: string, trigger: RunTrigger): Promise<number>;
  finishRun(
    runId: number,
    outcome: { status: RunStatus; stats: RunStats; error: string | null },
  ): Promise<void>;
  getRun(runId: number): Promise<RunRow | null>;
  /**
   * Runs newest first; with `afterId`, the runs after that id oldest first, so a reader can
   * follow the table (the metrics do).
   */
  listRuns(filter: RunFilter): Promise<RunRow[]>;

  listDeadLetters(filter: { pipeline?: string; unit?: string }): Promise<DeadLetter[]>;

  /** Creates the unit's row when missing; an existing row is left as it is. */
  ensureUnit(pipeline: string, unit: string, nextRunAt: Date): Promise<void>;
  getUnit(pipeline: string, unit: string): Promise<UnitState | null>;
  listUnits(pipeline?: string): Promise<UnitState[]>;
  updateUnit(pipeline: string, unit: string, patch: UnitStatePatch): Promise<void>;
  /**
   * Asks for a sync as soon as possible. Keys accumulate until the run; `null` (the whole
   * unit) wins over any keys.
   */
  requestSync(pipeline: string, unit: string, keys: readonly string[] | null): Promise<void>;
  /**
   * Takes the lease when free or expired, or renews it for its owner; null when another
   * engine holds it. Taking an expired lease from another owner marks the runs it left at
   * `running` as `crashed`, in the same transaction.
   */
  acquireLease(
    pipeline: string,
    unit: string,
    owner: string,
    ttlMs: number,
    now: Date,
  ): Promise<LeaseGrant | null>;
  /** Extends a lease still held under this token; false once another engine has taken it. */
  renewLease(
    pipeline: string,
    unit: string,
    lease: LeaseToken,
    ttlMs: number,
    now: Date,
  ): Promise<boolean>;
  releaseLease(pipeline: string, unit: string, owner: string): Promise<void>;

  /** Stores a secret encrypted (AES-256-GCM) with the store's key. */
  putSecret(name: string, value: string): Promise<void>;
  getSecret(name: string): Promise<string | null>;
  deleteSecret(name: string): Promise<void>;

  close(): Promise<void>;
}
