import { KeepsyncError } from '../model/index.js';
import { SyncHttpError } from './errors.js';
import type { CollectionOptions, SyncOperation, SyncServerOptions, SyncUser } from './options.js';
import { COLLECTION_PATTERN } from './protocol.js';

export interface CollectionRules {
  /** The configured collection names; null when any valid name is synced. */
  readonly allowed: Set<string> | null;
  readonly settings: (collection: string) => CollectionOptions;
  /**
   * The collections a request may touch: checks names against the allow-list and asks
   * `authorize` for each; a request naming none gets every configured collection.
   */
  resolve(
    user: SyncUser,
    operation: SyncOperation,
    requested: readonly string[] | null,
  ): Promise<string[] | null>;
  /**
   * The collections of a full resync. Named ones must all be allowed (else 4xx); naming none
   * means every collection the caller may read (`stored`: the scope's own, without an
   * allow-list), leaving out the refused ones and those whose full resync is off.
   */
  forFull(
    user: SyncUser,
    requested: readonly string[] | null,
    stored: () => Promise<string[]>,
  ): Promise<string[]>;
  /** Why this user may not touch this collection (unknown or forbidden), or null. */
  refusal(
    user: SyncUser,
    operation: SyncOperation,
    collection: string,
  ): Promise<SyncHttpError | null>;
}

export function collectionRules(options: SyncServerOptions): CollectionRules {
  const { allowed, settings } = collectionSettings(options);
  const fullAllowed = (collection: string) =>
    settings(collection).allowFullResync ?? options.allowFullResync ?? true;
  return {
    allowed,
    settings,
    async forFull(user, requested, stored) {
      if (requested) {
        const names = (await this.resolve(user, 'full', requested))!;
        const off = names.find((name) => !fullAllowed(name));
        if (off !== undefined) {
          throw new SyncHttpError(
            403,
            'FULL_RESYNC_DISABLED',
            `Full resync of collection \`${off}\` is turned off on this server`,
          );
        }
        return names;
      }
      const candidates = allowed ? [...allowed] : await stored();
      const names: string[] = [];
      for (const collection of candidates) {
        if (!fullAllowed(collection)) continue;
        if (
          options.authorize &&
          !(await options.authorize({ user, collection, operation: 'full' }))
        ) {
          continue;
        }
        names.push(collection);
      }
      return names;
    },
    async refusal(user, operation, collection) {
      try {
        await this.resolve(user, operation, [collection]);
        return null;
      } catch (error) {
        if (error instanceof SyncHttpError) return error;
        throw error;
      }
    },
    async resolve(user, operation, requested) {
      let names: string[] | null = requested ? [...requested] : null;
      if (names) {
        for (const name of names) {
          if (!COLLECTION_PATTERN.test(name)) {
            throw new SyncHttpError(
              400,
              'COLLECTION_UNKNOWN',
              `Expected collection names of 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(name.slice(0, 80))}`,
            );
          }
          if (allowed && !allowed.has(name)) {
            throw new SyncHttpError(
              400,
              'COLLECTION_UNKNOWN',
              `Unknown collection \`${name}\`; this server syncs ${[...allowed].map((known) => `\`${known}\``).join(', ')}`,
            );
          }
        }
      } else if (allowed) {
        names = [...allowed];
      } else if (options.authorize) {
        throw new SyncHttpError(
          400,
          'REQUEST_INVALID',
          'Name the collections (`collections=a,b`): this server authorizes each one',
        );
      }
      if (options.authorize && names) {
        for (const collection of names) {
          if (!(await options.authorize({ user, collection, operation }))) {
            throw new SyncHttpError(
              403,
              'FORBIDDEN',
              `Not allowed to ${operation} collection \`${collection}\``,
            );
          }
        }
      }
      return names;
    },
  };
}

function collectionSettings(options: SyncServerOptions): {
  allowed: Set<string> | null;
  settings: (collection: string) => CollectionOptions;
} {
  const config = options.collections;
  if (config === undefined) return { allowed: null, settings: () => ({}) };
  const entries: Array<[string, CollectionOptions]> = Array.isArray(config)
    ? (config as string[]).map((name) => [name, {}])
    : Object.entries(config as Record<string, CollectionOptions>);
  for (const [name] of entries) {
    if (!COLLECTION_PATTERN.test(name)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected collection names of 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`,
      );
    }
  }
  const map = new Map(entries);
  return { allowed: new Set(map.keys()), settings: (name) => map.get(name) ?? {} };
}
