import * as rest from '../../../src/connectors/rest/index.js';
import { FakeRest } from '../../fakes/index.js';
import type { SourceHarness } from './harness.js';

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
