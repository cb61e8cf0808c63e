import * as contentful from '../../../src/connectors/contentful/index.js';
import { FakeContentful } from '../../fakes/index.js';
import type { SourceHarness } from './harness.js';

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
