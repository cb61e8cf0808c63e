import { KeepsyncError } from '../../model/index.js';
import {
  createSyncServer,
  type DocumentStore,
  type ServerWrite,
  type SyncServer,
} from '../../server/index.js';

/** Where the offline server's documents are, and who writes them. */
export interface KeepsyncConnectionOptions {
  /**
   * A running sync server (`createSyncServer`): writes go through its write path, so its
   * connected clients receive them live. Give this or `store`.
   */
  server?: SyncServer | undefined;
  /**
   * The server's document store, when the server runs elsewhere (another process on the same
   * SQLite file or PostgreSQL database): writes run the server's write path on it, and the
   * running server's clients get them on its next poll or NOTIFY. Give this or `server`.
   */
  store?: DocumentStore | undefined;
  /** The tenant whose documents are read and written. */
  scope: string;
  /**
   * Recorded as the client id and the actor of the oplog entries keepsync writes.
   * @default 'keepsync'
   */
  actor?: string | undefined;
  /** @default 'keepsync' */
  name?: string | undefined;
}

/** A server write path, and a way to let go of it. */
export interface Writer {
  write(input: ServerWrite): ReturnType<SyncServer['write']>;
  close(): Promise<void>;
}

export interface Connection {
  readonly name: string;
  readonly store: DocumentStore;
  readonly scope: string;
  readonly actor: string;
  /** The given server's write path, or one opened on the store for a session. */
  openWriter(): Promise<Writer>;
}

export const COLLECTION_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export function checkCollection(collection: unknown, option = 'collection'): string {
  if (typeof collection !== 'string' || !COLLECTION_PATTERN.test(collection)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`${option}\` to be a collection name of 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(collection)}`,
    );
  }
  return collection;
}

export function connect(options: KeepsyncConnectionOptions): Connection {
  const { server } = options;
  if ((server === undefined) === (options.store === undefined)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'Expected the keepsync connector to get either `server` (a running sync server) or `store` (its document store), not both',
    );
  }
  if (typeof options.scope !== 'string' || options.scope === '') {
    throw new KeepsyncError('CONFIG_INVALID', 'Expected `scope` to name the tenant to sync');
  }
  const store = server ? server.store : options.store!;
  return {
    name: options.name ?? 'keepsync',
    store,
    scope: options.scope,
    actor: options.actor ?? 'keepsync',
    async openWriter() {
      if (server) return { write: (input) => server.write(input), close: async () => {} };
      // No listener and no jobs: this server only lends its write path (conflict engine,
      // HLC, one transaction per batch with the oplog entries) for the session.
      const lent = await createSyncServer({
        store,
        auth: false,
        pruneIntervalMs: 0,
        pollIntervalMs: 0,
        metricsEndpoint: false,
      });
      return { write: (input) => lent.write(input), close: () => lent.close() };
    },
  };
}
