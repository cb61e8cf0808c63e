import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_FILES, findConfigFile, loadConfig, type ServerConfig } from '../config/index.js';
import { KeepsyncError } from '../model/index.js';
import type { SyncAuthOptions, SyncServerOptions } from '../server/index.js';
import { parsePort } from './port.js';

/** The flags of `keepsync serve`, as commander parsed them (defaults filled in). */
export interface ServeFlags {
  port: string;
  host: string;
  db: string;
  postgres?: string;
  preparedStatements: boolean;
  jwtSecret?: string;
  jwksUrl?: string;
  scopeClaim?: string;
  actorClaim?: string;
  collections?: string;
  retentionDays: string;
  atomic?: boolean;
  auth: boolean;
  pollMs: string;
  logLevel: string;
}

/** What `keepsync serve` runs: the flags given, else the config's `server` section, else defaults. */
export interface ServeSettings {
  readonly port: number;
  readonly host: string;
  readonly db: string;
  readonly postgres: string | undefined;
  /** PostgreSQL's statements named and prepared once per connection. */
  readonly preparedStatements: boolean;
  readonly auth: SyncAuthOptions | false;
  /** Everything else handed to `createSyncServer`. */
  readonly server: Omit<SyncServerOptions, 'store' | 'auth' | 'logger'>;
}

function whole(value: string, name: string): number {
  if (!/^\d+$/.test(value)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${name} to be a whole number, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/**
 * The config's `server` section: from the file `--config` names, else from a keepsync.config.*
 * in `cwd` when there is one; undefined without a file or a section.
 */
export async function loadServerSection(
  configPath: string | undefined,
  cwd = process.cwd(),
): Promise<ServerConfig | undefined> {
  const found = configPath
    ? findConfigFile(configPath, cwd)
    : CONFIG_FILES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
  if (!found) return undefined;
  return (await loadConfig(found)).server;
}

export function serveSettings(
  flags: ServeFlags,
  explicit: (flag: keyof ServeFlags) => boolean,
  section: ServerConfig = {},
): ServeSettings {
  const pick = <T>(flag: keyof ServeFlags, fromFlag: () => T, fromSection: T | undefined): T =>
    explicit(flag) || fromSection === undefined ? fromFlag() : fromSection;
  const port = pick('port', () => parsePort(flags.port, '--port'), section.port);
  const postgres = flags.postgres ?? (explicit('db') ? undefined : section.postgres);
  const preparedStatements = pick(
    'preparedStatements',
    () => flags.preparedStatements,
    section.preparedStatements,
  );
  if (!postgres && (explicit('preparedStatements') || section.preparedStatements !== undefined)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `${explicit('preparedStatements') ? '--no-prepared-statements' : '`server.preparedStatements`'} applies to PostgreSQL only (--postgres or \`server.postgres\`)`,
    );
  }
  const authSection = section.auth === false ? undefined : section.auth;
  const authOff = explicit('auth') ? !flags.auth : section.auth === false;
  let auth: SyncAuthOptions | false = false;
  if (!authOff) {
    const secret = flags.jwtSecret ?? process.env.KEEPSYNC_JWT_SECRET;
    const jwksUrl = flags.jwksUrl ?? authSection?.jwksUrl;
    if (!secret && !jwksUrl) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        'Give --jwt-secret (or KEEPSYNC_JWT_SECRET) or --jwks-url; --no-auth serves without tokens, for local development only',
      );
    }
    auth = {
      ...(jwksUrl ? { jwksUrl } : { secret }),
      issuer: authSection?.issuer,
      audience: authSection?.audience,
      requireExpiry: authSection?.requireExpiry,
      scopeClaim: flags.scopeClaim ?? authSection?.scopeClaim,
      actorClaim: pick('actorClaim', () => flags.actorClaim, authSection?.actorClaim),
    };
  }
  const listed = flags.collections
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return {
    port,
    host: pick('host', () => flags.host, section.host),
    db: pick('db', () => flags.db, section.sqlite),
    postgres,
    preparedStatements,
    auth,
    server: {
      collections: listed ?? section.collections,
      retentionDays: pick(
        'retentionDays',
        () => whole(flags.retentionDays, '--retention-days'),
        section.retentionDays,
      ),
      atomicPush: pick('atomic', () => flags.atomic ?? false, section.atomicPush),
      pollIntervalMs: whole(flags.pollMs, '--poll-ms'),
      pruneIntervalMs: section.pruneIntervalMs,
      incoming: section.incoming,
      authorize: section.authorize,
      streamIdentity: section.streamIdentity,
      resolver: section.resolver,
      deletePolicy: section.deletePolicy,
      allowFullResync: section.allowFullResync,
    },
  };
}
