import { afterEach } from 'vitest';
import type { DocumentStore } from '../../../src/server/index.js';
import { type Running, sqliteStore, startServer, token } from '../../server/helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export function onCleanup(cleanup: () => void | Promise<void>): void {
  cleanups.push(cleanup);
}

let tenants = 0;

/** A real sync server on loopback over a SQLite document store, and a client's token. */
export async function liveServer(): Promise<{
  running: Running;
  store: DocumentStore;
  scope: string;
  jwt: string;
}> {
  const store = sqliteStore();
  const running = await startServer(store);
  onCleanup(async () => {
    await running.close();
    await store.close();
  });
  const scope = `tenant-${process.pid}-${++tenants}`;
  return { running, store, scope, jwt: await token({ sub: 'app-user', tenant: scope }) };
}

export interface PulledChange {
  readonly seq: number;
  readonly version: string;
  readonly doc_id: string;
  readonly operation: 'upsert' | 'delete';
  readonly data: Record<string, unknown> | null;
  readonly client_id: string | null;
}

/** A client's pull over HTTP: every change of `collection` after `since`. */
export async function pull(
  running: Running,
  jwt: string,
  collection: string,
  since = '0',
): Promise<{ changes: PulledChange[]; lastSeq: string }> {
  const response = await running.pull(jwt, { since, collections: collection });
  if (response.status !== 200) throw new Error(`pull answered ${response.status}`);
  const body = (await response.json()) as { changes: PulledChange[]; last_seq: string };
  return { changes: body.changes, lastSeq: body.last_seq };
}

/**
 * A client's push over HTTP of upserts (data) and deletes (null), each with the parent version
 * the client last pulled, as an up-to-date client sends it.
 */
export async function push(
  running: Running,
  jwt: string,
  collection: string,
  docs: Record<string, Record<string, unknown> | null>,
): Promise<void> {
  const versions = new Map(
    (await pull(running, jwt, collection)).changes.map((change) => [change.doc_id, change.version]),
  );
  const response = await running.push(jwt, {
    client_id: 'phone',
    changes: Object.entries(docs).map(([doc_id, data]) => ({
      collection,
      doc_id,
      parent_version: versions.get(doc_id) ?? null,
      ...(data === null ? { operation: 'delete' } : { operation: 'upsert', data }),
    })),
  });
  const body = (await response.json()) as { results: Array<{ status: string }> };
  if (response.status !== 200 || body.results.some((result) => result.status !== 'accepted')) {
    throw new Error(`push answered ${response.status}: ${JSON.stringify(body)}`);
  }
}
