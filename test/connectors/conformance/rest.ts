import * as rest from '../../../src/connectors/rest/index.js';
import type { Destination } from '../../../src/sync/index.js';
import { FakeRest } from '../../fakes/index.js';
import type { DestinationHarness, SourceHarness, StoredObject } from './harness.js';

let tokens = 0;

export const restSource: SourceHarness = {
  connector: 'rest',
  mode: 'incremental',
  gaps: {},
  async start() {
    const token = `rest_conformance_${process.pid}_${++tokens}`;
    const fake = await new FakeRest({ tokens: [token], paging: 'page' }).start();
    let next = 0;
    return {
      server: fake.server,
      unit: 'all',
      listPath: /\/v1\/items$/,
      // A listing filtered by update time never shows a deleted item: deletes need full passes.
      source: ({ deletes } = {}) =>
        rest.source({
          url: `${fake.url}/v1/items`,
          records: 'data',
          updated: 'updated_at',
          ...(deletes ? {} : { updatedParam: 'updated_since' }),
          pagination: { style: 'page', sizeParam: 'per_page', size: 25 },
          headers: { Authorization: `Bearer ${token}` },
          retryMinDelayMs: 10,
        }),
      async seed(count) {
        return Array.from({ length: count }, () => {
          const id = `item-${++next}`;
          fake.put(id, `Item ${next}`);
          return id;
        });
      },
      async change(key) {
        fake.put(key, 'Changed by a person');
      },
      async remove(key) {
        fake.remove(key);
      },
      revoke: () => fake.revokeToken(token),
      close: () => fake.close(),
    };
  },
};

function restDestination(url: string, token: string, rps?: number, post = false) {
  if (post) {
    return rest.destination({
      url: `${url}/v1/items/{id}`,
      create: {
        url: `${url}/v1/items`,
        keyField: 'external_id',
        findUrl: `${url}/v1/items?external_id={key}`,
      },
      checkUrl: `${url}/v1/items?per_page=1`,
      headers: { Authorization: `Bearer ${token}` },
      // Every create is a lookup and a POST: twice the requests of the PUT harness meet the storm.
      retries: 8,
      retryMinDelayMs: 10,
      ...(rps ? { requestsPerSecond: rps } : {}),
    });
  }
  return rest.destination({
    url: `${url}/v1/items/{key}`,
    checkUrl: `${url}/v1/items?per_page=1`,
    headers: { Authorization: `Bearer ${token}` },
    retryMinDelayMs: 10,
    ...(rps ? { requestsPerSecond: rps } : {}),
  });
}

/** For the SIGKILL worker: `[url, token, 'post'?]`. */
export function workerDestination([url, token, mode]: readonly string[]): Destination {
  return restDestination(url!, token!, 200, mode === 'post');
}

/**
 * The REST destination on its fake: resources PUT at the key's URL, or (`post`) created by
 * POST (the service picks the id) and found again by `external_id`.
 */
function restDestinationHarnessOf(post: boolean): DestinationHarness {
  return {
    connector: post ? 'rest (POST-created ids)' : 'rest',
    gaps: {},
    workerModule: new URL('./rest.ts', import.meta.url).pathname,
    async start() {
      const token = `rest_conformance_${process.pid}_${++tokens}`;
      const fake = await new FakeRest({ tokens: [token] }).start();
      return {
        server: fake.server,
        workerArgs: post ? [fake.url, token, 'post'] : [fake.url, token],
        destination: () => restDestination(fake.url, token, undefined, post),
        async objects() {
          // PUT: one resource per key by construction (the URL is the key). POST: every
          // resource created for a key, so a duplicate shows as two.
          const found = new Map<string, StoredObject[]>();
          for (const item of fake.items.values()) {
            const key = post ? String(item.external_id) : item.id;
            found.set(key, [...(found.get(key) ?? []), { title: item.title, archived: false }]);
          }
          return found;
        },
        revoke: () => fake.revokeToken(token),
        createPath: post
          ? { method: 'POST', path: /\/v1\/items$/ }
          : { method: 'PUT', path: /\/v1\/items\/[^/]+$/ },
        deletes: 'delete',
        close: () => fake.close(),
      };
    },
  };
}

export const restDestinationHarness = restDestinationHarnessOf(false);
export const restPostDestinationHarness = restDestinationHarnessOf(true);
