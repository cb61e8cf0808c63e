import * as contentful from '../../../src/connectors/contentful/index.js';
import type { Destination } from '../../../src/sync/index.js';
import { FakeContentful } from '../../fakes/index.js';
import type { DestinationHarness, SourceHarness, StoredObject } from './harness.js';

let tokens = 0;

export const contentfulSource: SourceHarness = {
  connector: 'contentful',
  mode: 'incremental',
  gaps: {},
  async start() {
    const token = `cda_conformance_${process.pid}_${++tokens}`;
    const fake = await new FakeContentful({ tokens: [token] }).start();
    let next = 0;
    return {
      server: fake.server,
      unit: 'entries',
      listPath: /\/sync$/,
      source: () =>
        contentful.source({
          space: fake.space,
          accessToken: token,
          baseUrl: fake.url,
          pageSize: 25,
          requestsPerSecond: 500,
          retries: 5,
        }),
      async seed(count) {
        return Array.from({ length: count }, () => {
          const id = `entry${++next}`;
          fake.publish(id, 'event', {
            title: { 'en-US': `Event ${next}`, 'de-DE': `Termin ${next}` },
          });
          return id;
        });
      },
      async change(key) {
        fake.publish(key, 'event', { title: { 'en-US': 'Moved to Friday' } });
      },
      // Unpublishing reaches the next sync as a DeletedEntry: deletes need no full pass.
      async remove(key) {
        fake.unpublish(key);
      },
      revoke: () => fake.revokeToken(token),
      close: () => fake.close(),
    };
  },
};

function contentfulDestination(url: string, space: string, token: string, rps: number) {
  return contentful.destination({
    space,
    accessToken: token,
    baseUrl: url,
    contentType: 'event',
    fields: { title: 'title', n: 'rank' },
    publish: true,
    requestsPerSecond: rps,
    concurrency: 6,
  });
}

/** For the SIGKILL worker: `[managementUrl, space, token]`. */
export function workerDestination([url, space, token]: readonly string[]): Destination {
  return contentfulDestination(url!, space!, token!, 200);
}

export const contentfulDestinationHarness: DestinationHarness = {
  connector: 'contentful',
  gaps: {},
  workerModule: new URL('./contentful.ts', import.meta.url).pathname,
  async start() {
    const token = `cma_conformance_${process.pid}_${++tokens}`;
    const fake = await new FakeContentful({ managementTokens: [token] }).start();
    fake.management.defineContentType('event', [
      { id: 'title', type: 'Symbol', required: true },
      { id: 'rank', type: 'Integer' },
    ]);
    // Entry ids come from the keys; the cases use K-0 … K-n.
    const keyOf = new Map(
      Array.from({ length: 1000 }, (_, index) => [
        contentful.entryIdFor('event', `K-${index}`),
        `K-${index}`,
      ]),
    );
    return {
      server: fake.management.server,
      workerArgs: [fake.managementUrl, fake.space, token],
      destination: () => contentfulDestination(fake.managementUrl, fake.space, token, 500),
      async objects() {
        const found = new Map<string, StoredObject[]>();
        for (const entry of fake.management.entries.values()) {
          const key = keyOf.get(entry.id) ?? entry.id;
          const object = {
            title: String(entry.fields.title?.['en-US'] ?? ''),
            archived: entry.archivedVersion !== undefined,
          };
          found.set(key, [...(found.get(key) ?? []), object]);
        }
        return found;
      },
      revoke: () => fake.management.revokeToken(token),
      createPath: { method: 'PUT', path: /\/entries\/[0-9a-f]{64}$/ },
      deletes: 'archive',
      close: () => fake.close(),
    };
  },
};

/** The source in CMA mode: drafts included, incremental by `sys.updatedAt`. */
export const contentfulManagementSource: SourceHarness = {
  connector: 'contentful (CMA)',
  mode: 'incremental',
  gaps: {},
  async start() {
    const token = `cma_conformance_source_${process.pid}_${++tokens}`;
    const fake = await new FakeContentful({ managementTokens: [token] }).start();
    // Entries a second apart in the past; edits land later.
    let now = Date.UTC(2026, 0, 5, 9, 0);
    fake.management.setClock(() => now);
    let next = 0;
    return {
      server: fake.management.server,
      unit: 'entries',
      listPath: /\/entries$/,
      source: ({ deletes } = {}) =>
        contentful.source({
          api: 'management',
          space: fake.space,
          accessToken: token,
          baseUrl: fake.managementUrl,
          pageSize: 25,
          requestsPerSecond: 500,
          retries: 5,
          // The CMA has no feed of deleted entries: only a full pass sees a delete.
          mode: deletes ? 'full' : 'incremental',
        }),
      async seed(count) {
        return Array.from({ length: count }, () => {
          now += 1000;
          const id = `entry${++next}`;
          fake.management.draft(id, 'event', { title: { 'en-US': `Event ${next}` } });
          return id;
        });
      },
      async change(key) {
        now += 1000;
        fake.management.edit(key, { title: { 'en-US': 'Moved to Friday' } });
      },
      async remove(key) {
        fake.management.remove(key);
      },
      revoke: () => fake.management.revokeToken(token),
      close: () => fake.close(),
    };
  },
};
