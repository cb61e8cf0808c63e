import { z } from 'zod';
import type {
  AuthorizeContext,
  ConflictResolver,
  DeletePolicy,
  IncomingHook,
  StreamIdentityResolver,
} from '../server/index.js';

/** One collection `keepsync serve` syncs. */
export interface ServerCollectionConfig {
  /** @default last-writer-wins by HLC (or the section's `resolver`) */
  resolver?: ConflictResolver | undefined;
  /** @default 'resurrect_on_update' (or the section's `deletePolicy`) */
  deletePolicy?: DeletePolicy | undefined;
  /** This collection's incoming-document hook (instead of the section's `incoming`). */
  incoming?: IncomingHook | undefined;
  /** `false`: `/sync/full` refuses this collection (403) and leaves it out when none is named. */
  allowFullResync?: boolean | undefined;
}

/**
 * The `server` section: what `keepsync serve` runs. Flags given on the command line win over it.
 * The JWT secret is read from `KEEPSYNC_JWT_SECRET`, never from the file.
 */
export interface ServerConfig {
  /** @default 8787 */
  port?: number | undefined;
  /** @default '127.0.0.1' */
  host?: string | undefined;
  /** SQLite file of documents and oplog. @default 'keepsync-sync.db' */
  sqlite?: string | undefined;
  /** A PostgreSQL connection string instead (several servers may share it). */
  postgres?: string | undefined;
  /**
   * PostgreSQL only: send pushes and pulls as named prepared statements, planned once per
   * connection. `false` behind a pooler that cannot keep them (PgBouncer before 1.21 in
   * transaction mode). @default true
   */
  preparedStatements?: boolean | undefined;
  /** Token checks; `false` serves without tokens (local development only). */
  auth?:
    | {
        jwksUrl?: string | undefined;
        issuer?: string | undefined;
        audience?: string | string[] | undefined;
        /** @default 'sub' */
        actorClaim?: string | undefined;
        /** @default the actor */
        scopeClaim?: string | undefined;
        /** @default false */
        requireExpiry?: boolean | undefined;
      }
    | false
    | undefined;
  /** The collections clients may sync, by name. Without it any valid name is synced. */
  collections?: Readonly<Record<string, ServerCollectionConfig>> | undefined;
  /** The incoming-document hook of collections without their own. */
  incoming?: IncomingHook | undefined;
  /** Called per collection and operation; `false` answers 403. */
  authorize?: ((context: AuthorizeContext) => boolean | Promise<boolean>) | undefined;
  /** Picks a WebSocket subscription's scope from its subscribe message (token still verified). */
  streamIdentity?: StreamIdentityResolver | undefined;
  /** The conflict resolver of collections without their own. */
  resolver?: ConflictResolver | undefined;
  deletePolicy?: DeletePolicy | undefined;
  /** @default true; a collection's own setting wins */
  allowFullResync?: boolean | undefined;
  /** @default false */
  atomicPush?: boolean | undefined;
  /** @default 30 */
  retentionDays?: number | undefined;
  /** How often the oplog is pruned; 0 turns pruning off. @default 3_600_000 */
  pruneIntervalMs?: number | undefined;
}

const fn = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', {
  message: 'must be a function',
});
const deletePolicy = z.enum(['resurrect_on_update', 'reject_update', 'delete_wins']);

export const serverConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65_535).optional(),
    host: z.string().min(1).optional(),
    sqlite: z.string().min(1).optional(),
    postgres: z.string().min(1).optional(),
    preparedStatements: z.boolean().optional(),
    auth: z
      .union([
        z.literal(false),
        z
          .object({
            jwksUrl: z.url().optional(),
            issuer: z.string().min(1).optional(),
            audience: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
            actorClaim: z.string().min(1).optional(),
            scopeClaim: z.string().min(1).optional(),
            requireExpiry: z.boolean().optional(),
          })
          .strict(),
      ])
      .optional(),
    collections: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
          message: "collection names are 1-64 letters, digits, '_', '.' or '-'",
        }),
        z
          .object({
            resolver: fn.optional(),
            deletePolicy: deletePolicy.optional(),
            incoming: fn.optional(),
            allowFullResync: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
    incoming: fn.optional(),
    authorize: fn.optional(),
    streamIdentity: fn.optional(),
    resolver: fn.optional(),
    deletePolicy: deletePolicy.optional(),
    allowFullResync: z.boolean().optional(),
    atomicPush: z.boolean().optional(),
    retentionDays: z.number().min(0).optional(),
    pruneIntervalMs: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((server) => !(server.sqlite && server.postgres), {
    message: 'choose either `sqlite` or `postgres`, not both',
  })
  .refine((server) => !(server.sqlite && server.preparedStatements !== undefined), {
    message: '`preparedStatements` applies to `postgres` only',
  });
