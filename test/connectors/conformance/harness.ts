import type { Fields } from '../../../src/model/index.js';
import type { Destination, Source, SourceMode } from '../../../src/sync/index.js';
import type { FakeServer } from '../../fakes/index.js';

/** The cases every source runs. */
export const SOURCE_CASES = [
  'full read',
  'incremental read',
  'deletes',
  'no-change re-run',
  '429 storm',
  '401 pauses',
  '5xx retried',
  'HTML 5xx retried',
] as const;

/** The cases every destination runs. */
export const DESTINATION_CASES = [
  'creates',
  'updates',
  'deletes',
  'no-change re-run',
  '429 storm',
  '401 pauses',
  '5xx retried',
  'HTML 5xx retried',
  'lost create answer',
  'SIGKILL mid-run',
] as const;

export type SourceCase = (typeof SOURCE_CASES)[number];
export type DestinationCase = (typeof DESTINATION_CASES)[number];

/** One started fake service with a source reading from it. */
export interface SourceFixture {
  readonly server: FakeServer;
  readonly unit: string;
  /** A source pointed at the fake, retrying fast. `deletes` asks for the mode that sees deletes. */
  source(options?: { deletes?: boolean }): Source;
  /** Adds `count` records to the service; returns their keys. */
  seed(count: number): Promise<readonly string[]>;
  /** Edits a record in the service as a person would (its update time moves on). */
  change(key: string): Promise<void>;
  /** Deletes (or trashes) a record in the service. */
  remove(key: string): Promise<void>;
  /** Makes the credential the source uses invalid. */
  revoke(): void;
  /** Paths of POST requests that only read (search endpoints), not counted as writes. */
  readonly readOnlyPosts?: readonly RegExp[];
  /** A path the fake may fail on with a 5xx (the listing). */
  readonly listPath: RegExp;
  /** The status the service answers an over-limit request with. @default 429 */
  readonly rateLimitedStatus?: number;
  close(): Promise<void>;
}

export interface SourceHarness {
  readonly connector: string;
  readonly mode: SourceMode;
  /** Cases this connector cannot do, each with why. */
  readonly gaps: Partial<Record<SourceCase, string>>;
  start(): Promise<SourceFixture>;
}

/** What a destination holds for one key, as far as the cases check it. */
export interface StoredObject {
  readonly title: string;
  /** True when the object is archived, completed or trashed rather than gone. */
  readonly archived: boolean;
}

export interface DestinationFixture {
  readonly server: FakeServer;
  /** A destination pointed at the fake; writes the `title` field as the object's title. */
  destination(): Destination;
  /** Every object the service holds for a key (more than one = a duplicate). */
  objects(): Promise<ReadonlyMap<string, readonly StoredObject[]>>;
  revoke(): void;
  /** The create request, for faults. */
  readonly createPath: { readonly method: string; readonly path: RegExp };
  readonly readOnlyPosts?: readonly RegExp[];
  /** What a run deletes with: the service's archive or delete. */
  readonly deletes: 'archive' | 'delete';
  /** What a SIGKILL worker needs to reach this fake (URL, token, ids). */
  readonly workerArgs?: readonly string[];
  close(): Promise<void>;
}

export interface DestinationHarness {
  readonly connector: string;
  readonly gaps: Partial<Record<DestinationCase, string>>;
  start(): Promise<DestinationFixture>;
  /**
   * A module exporting `workerDestination(args)`, which builds the same destination in a
   * child process for the SIGKILL case from the fixture's `workerArgs`.
   */
  readonly workerModule?: string;
}

/** The records destination cases write: a title and a number, `version` changes them. */
export function conformanceRecords(count: number, version = 1) {
  return Array.from({ length: count }, (_, index) => ({
    key: `K-${index}`,
    fields: { title: `Item ${index} v${version}`, n: index * version } as Fields,
  }));
}
