import * as luma from '../../../src/connectors/luma/index.js';
import type { Destination } from '../../../src/sync/index.js';
import { FakeLuma } from '../../fakes/index.js';
import type { DestinationHarness, SourceHarness, StoredObject } from './harness.js';

let keys = 0;

/** A fake fast enough for the cases; the bench runs Luma's real 200 a minute. */
async function startLuma() {
  const apiKey = `luma_${process.pid}_${++keys}`;
  const fake = await new FakeLuma({ keys: [apiKey], requestsPerMinute: 1_000_000 }).start();
  return { fake, apiKey };
}

export const lumaSource: SourceHarness = {
  connector: 'luma',
  // Every run lists the window again: list-events has no updated-since filter.
  mode: 'full',
  gaps: {
    deletes:
      'list-events leaves deleted events out and Luma keeps no tombstones, so a window read cannot tell deleted from moved out of the window; a targeted read (event/get 404) does tombstone a named event',
  },
  async start() {
    const { fake, apiKey } = await startLuma();
    let start = Date.now() + 86_400_000;
    return {
      server: fake.server,
      unit: 'events',
      listPath: /\/v1\/calendar\/list-events$/,
      source: () =>
        luma.source({
          apiKey,
          baseUrl: fake.url,
          pageSize: 25,
          // Hosts (one event/get per event) are covered in test/connectors/luma.
          hosts: false,
          requestsPerMinute: 600_000,
          retryMinDelayMs: 10,
        }),
      async seed(count) {
        return Array.from({ length: count }, (_, index) => {
          start += 60_000;
          return fake.addEvent({
            name: `Event ${index}`,
            start_at: new Date(start).toISOString(),
            hosts: [
              { api_id: `usr-${index}`, name: `Host ${index}`, email: `h${index}@example.com` },
            ],
          }).api_id;
        });
      },
      async change(key) {
        fake.events.get(key)!.name = 'Renamed by a person';
      },
      async remove(key) {
        fake.events.delete(key);
      },
      revoke: () => fake.revokeKey(apiKey),
      close: () => fake.close(),
    };
  },
};

function lumaDestination(url: string, apiKey: string, requestsPerMinute: number): Destination {
  return luma.destination({
    apiKey,
    baseUrl: url,
    requestsPerMinute,
    retryMinDelayMs: 10,
    defaultStartAt: '2027-01-01T18:00:00Z',
  });
}

/** For the SIGKILL worker: `[url, apiKey]`. */
export function workerDestination([url, apiKey]: readonly string[]): Destination {
  return lumaDestination(url!, apiKey!, 60_000);
}

/** Events carry no key: the conformance titles ("Item 7 v2") name their record. */
export function keyOfTitle(title: string): string {
  const match = /^Item (\d+) v\d+$/.exec(title);
  return match ? `K-${match[1]}` : title;
}

export const lumaDestinationHarness: DestinationHarness = {
  connector: 'luma',
  gaps: {
    deletes: 'Luma has no API to delete or archive an event',
    'lost create answer':
      'Luma has no idempotency key and no field for keepsync\u2019s key, so a create whose answer is lost is created again (the documented at-least-once window)',
    'SIGKILL mid-run':
      'a kill while a create\u2019s answer is in flight duplicates that one event (the documented window); test/connectors/luma/crash-window.test.ts kills inside it and shows exactly one duplicate',
  },
  workerModule: new URL('./luma.ts', import.meta.url).pathname,
  async start() {
    const { fake, apiKey } = await startLuma();
    return {
      server: fake.server,
      workerArgs: [fake.url, apiKey],
      destination: () => lumaDestination(fake.url, apiKey, 600_000),
      async objects() {
        const found = new Map<string, StoredObject[]>();
        for (const event of fake.events.values()) {
          const key = keyOfTitle(event.name);
          found.set(key, [...(found.get(key) ?? []), { title: event.name, archived: false }]);
        }
        return found;
      },
      revoke: () => fake.revokeKey(apiKey),
      createPath: { method: 'POST', path: /\/v1\/event\/create$/ },
      deletes: 'delete',
      close: () => fake.close(),
    };
  },
};
