import type { DocumentStore } from './store/types.js';

/** The authenticated caller, as the sync server sees it. */
export interface SyncUser {
  /** Who acts (the actor claim, `sub` by default). */
  readonly id: string;
  /** The tenant whose documents the caller sees; nothing outside it is ever read or written. */
  readonly scope: string;
  /** Every claim of the token (or what a custom `verify` returned). */
  readonly claims: Readonly<Record<string, unknown>>;
}

export type SyncOperation = 'push' | 'pull' | 'full' | 'stream';

export interface AuthorizeContext {
  readonly user: SyncUser;
  readonly collection: string;
  readonly operation: SyncOperation;
}

/** What the stream identity resolver sees: the verified caller and their subscribe message. */
export interface StreamIdentityContext {
  /** The caller as their (verified) token names them. */
  readonly user: SyncUser;
  /** The subscribe message as sent, without its `token`. */
  readonly message: Readonly<Record<string, unknown>>;
}

/**
 * Picks the identity a WebSocket subscription runs as from its subscribe message (e.g. one of
 * the tenants the user belongs to, named in a `scope` field). Return `null` to refuse (close
 * 4403 `FORBIDDEN`); throw a `SyncHttpError` to refuse with its own code.
 */
export type StreamIdentityResolver = (
  context: StreamIdentityContext,
) => SyncUser | null | Promise<SyncUser | null>;

export interface VerifyContext {
  /** The bearer token, or `null` when the request carried none. */
  readonly token: string | null;
  /** The HTTP request (absent for a token sent in a WebSocket message). */
  readonly request?: Request | undefined;
}

/**
 * How callers prove who they are: a JWT checked with `jose` against a shared HS256 secret or a
 * JWKS URL, or your own `verify` function.
 */
export interface SyncAuthOptions {
  /** HS256 shared secret. */
  secret?: string | Uint8Array | undefined;
  /** A JWKS endpoint (keys are fetched and cached by jose's `createRemoteJWKSet`). */
  jwksUrl?: string | URL | undefined;
  /** Your own check; return `null` (or throw) to refuse. Replaces JWT verification. */
  verify?:
    | ((
        context: VerifyContext,
      ) => SyncUser | null | undefined | Promise<SyncUser | null | undefined>)
    | undefined;
  /** Expected `iss`. */
  issuer?: string | undefined;
  /** Expected `aud`. */
  audience?: string | string[] | undefined;
  /** @default ['HS256'] with `secret`; the JWKS's algorithms otherwise */
  algorithms?: string[] | undefined;
  /**
   * The claim naming the actor.
   * @default 'sub'
   */
  actorClaim?: string | undefined;
  /**
   * The claim naming the tenant scope (e.g. `business_id`). Without it every user is their
   * own scope: they see only documents they (or the server, in their scope) wrote.
   * @default the actor
   */
  scopeClaim?: string | undefined;
  /** @default 5 */
  clockToleranceSec?: number | undefined;
  /**
   * Refuse tokens without an `exp` claim (a stolen one would work forever; a WebSocket is
   * closed when its token expires, which needs `exp`).
   * @default false
   */
  requireExpiry?: boolean | undefined;
}

/** Who wins when two writers changed the same document. */
export type ResolverDecision =
  /** The incoming change is applied as sent. */
  | { action: 'accept' }
  /** The stored document stays; the client is told its state. */
  | { action: 'keep' }
  /** A merged document is stored. */
  | { action: 'merge'; data: Record<string, unknown> }
  /** The document is deleted. */
  | { action: 'delete' }
  /** The change is refused for good. */
  | { action: 'reject'; reason?: string; code?: string };

export interface ConflictContext {
  readonly collection: string;
  readonly docId: string;
  readonly user: SyncUser;
  /** The stored document. */
  readonly current: {
    readonly data: Record<string, unknown> | null;
    readonly version: string;
    /** When the edit behind the stored state was made (absent from older callers). */
    readonly editVersion?: string;
    readonly deleted: boolean;
    /** Who wrote the stored state (null when stored before actors were recorded). */
    readonly actorId?: string | null;
  };
  readonly incoming: {
    readonly operation: 'upsert' | 'delete';
    readonly data: Record<string, unknown> | null;
    readonly parentVersion: string | null;
    /** The client's HLC of the edit, or the server's time of arrival when it sent none. */
    readonly version: string;
  };
}

/**
 * Called inside the transaction that applies the change, only when `parent_version` differs
 * from the stored version. Must be fast and deterministic. Throw `ConflictRejection` (or return
 * `{ action: 'reject' }`) to refuse.
 */
export type ConflictResolver = (context: ConflictContext) => ResolverDecision;

/** What an update of a deleted document (or a delete racing an update) does. */
export type DeletePolicy = 'resurrect_on_update' | 'reject_update' | 'delete_wins';

/** What the incoming-document hook sees: one pushed change, before anything is stored. */
export interface IncomingContext {
  /** The authenticated caller who pushed it. */
  readonly user: SyncUser;
  readonly collection: string;
  readonly docId: string;
  readonly operation: 'upsert' | 'delete';
  /**
   * A copy of the pushed data (`null` for deletes). Changing it in place changes what is
   * stored, as returning `{ action: 'accept', data }` does.
   */
  readonly data: Record<string, unknown> | null;
  readonly parentVersion: string | null;
}

/** The hook's answer; returning nothing accepts the change with `context.data`. */
export type IncomingDecision =
  /** Store `data` instead of what was pushed (ignored for deletes). */
  | { action: 'accept'; data?: Record<string, unknown> }
  /** Refuse this change; the client gets it back as `rejected` with the reason. */
  | { action: 'reject'; reason: string; code?: string };

/**
 * Runs for every pushed change before it is stored (not for `server.write`): stamp fields from
 * the token (a `vendor_id`), or refuse the change with a reason. Pushes of one client are
 * retried with the same idempotency key as pushed, whatever the hook stored.
 */
export type IncomingHook = (
  context: IncomingContext,
) => IncomingDecision | undefined | Promise<IncomingDecision | undefined>;

export interface CollectionOptions {
  /** @default last-writer-wins by HLC */
  resolver?: ConflictResolver | undefined;
  /** @default 'resurrect_on_update' */
  deletePolicy?: DeletePolicy | undefined;
  /** This collection's incoming-document hook (instead of the server's `incoming`). */
  incoming?: IncomingHook | undefined;
  /**
   * `false`: `/sync/full` refuses this collection (403 `FULL_RESYNC_DISABLED`) and leaves it
   * out when the request names none (a collection too large to export on demand).
   * @default the server's `allowFullResync`
   */
  allowFullResync?: boolean | undefined;
}

/** The slice of a pino logger the server uses. */
export interface SyncLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
  debug?(details: object, message: string): void;
}

export interface SyncServerOptions {
  /** Where documents and the oplog live (`openSqliteDocumentStore`, `openPostgresDocumentStore`). */
  store: DocumentStore;
  /**
   * The collections clients may sync (an allow-list), with per-collection conflict options.
   * Without it any collection name of 1-64 letters, digits, `_`, `-`, `.` is accepted.
   */
  collections?: readonly string[] | Readonly<Record<string, CollectionOptions>> | undefined;
  /** `false` turns authentication off (every caller is `anonymous` in scope `public`). */
  auth: SyncAuthOptions | false;
  /** Called per collection and operation; `false` answers 403. */
  authorize?: ((context: AuthorizeContext) => boolean | Promise<boolean>) | undefined;
  /** The incoming-document hook of collections without their own. */
  incoming?: IncomingHook | undefined;
  /**
   * The WebSocket identity resolver: after the token is verified, it may set the scope (and
   * actor) of a `/sync/stream` subscription from the subscribe message. Without it the token's
   * identity is used as is.
   */
  streamIdentity?: StreamIdentityResolver | undefined;
  /** Whether `/sync/full` serves collections without their own setting. @default true */
  allowFullResync?: boolean | undefined;
  /** Default conflict resolver of collections without their own. @default LWW by HLC */
  resolver?: ConflictResolver | undefined;
  /** @default 'resurrect_on_update' */
  deletePolicy?: DeletePolicy | undefined;
  /**
   * Apply a push all or nothing: one rejected change rolls the whole batch back. A request may
   * override it with `"atomic": true|false`.
   * @default false
   */
  atomicPush?: boolean | undefined;
  /**
   * Oplog entries (and push idempotency records) older than this are pruned; a client whose
   * `since` is older gets `full_resync_required`.
   * @default 30
   */
  retentionDays?: number | undefined;
  /** How often the pruning job runs; 0 turns it off (call `prune()` yourself). @default 3_600_000 */
  pruneIntervalMs?: number | undefined;
  /** @default 1_048_576 (1 MiB) */
  maxBodyBytes?: number | undefined;
  /** @default 1000 */
  maxChangesPerPush?: number | undefined;
  /** Rows per database read in a full resync. @default 1000 */
  fullResyncPageSize?: number | undefined;
  /** WebSocket heartbeat (ping + `heartbeat` message). @default 30_000 */
  heartbeatMs?: number | undefined;
  /**
   * How often live streams look for changes committed by other processes without a
   * notification (SQLite files shared by several processes, a lost LISTEN connection).
   * 0 turns it off.
   * @default 1000
   */
  pollIntervalMs?: number | undefined;
  /**
   * Bytes a socket may have queued before it stops getting live pushes and reads the oplog at
   * its own pace instead.
   * @default 1_048_576
   */
  maxSocketBufferBytes?: number | undefined;
  /**
   * A socket whose queue stays full this long gets `full_resync_required` and is closed.
   * @default 30_000
   */
  slowConsumerTimeoutMs?: number | undefined;
  /** How long a socket may wait before authenticating. @default 10_000 */
  wsAuthTimeoutMs?: number | undefined;
  /** HLC node id of this process. @default a random id, unique per process */
  hlcNode?: string | undefined;
  /** A pino logger (or anything shaped like one). @default silent */
  logger?: SyncLogger | undefined;
  /** Prefix of the prom-client metric names. @default 'sync_' */
  metricsPrefix?: string | undefined;
  /** Serve `GET /metrics`. @default true */
  metricsEndpoint?: boolean | undefined;
  /**
   * When set, `GET /metrics` needs `Authorization: Bearer <metricsToken>` (a scraper's secret,
   * not a user token). Metric labels never hold tenant-chosen names either way: without a
   * `collections` allow-list, per-collection counts are labelled `_unlisted`.
   */
  metricsToken?: string | undefined;
  /** @default Date.now */
  now?: (() => number) | undefined;
}
