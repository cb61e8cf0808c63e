import * as memory from '../../src/connectors/memory/index.js';
import * as notion from '../../src/connectors/notion/index.js';
import type { Store } from '../../src/store/index.js';
import { definePipeline, type Pipeline } from '../../src/sync/index.js';

export const CONNECTION = 'workspace';
export const OAUTH_CLIENT = { clientId: 'client-1', clientSecret: 'shh' };

/** Two pipelines writing to one Notion data source through one OAuth connection. */
export function notionPipelines(options: {
  store: Store;
  notionUrl: string;
  dataSourceId: string;
  /** Pipeline names: `<prefix>a` and `<prefix>b`. */
  prefix: string;
}): Pipeline[] {
  const oauth = { connection: CONNECTION, ...OAUTH_CLIENT, store: options.store };
  return ['a', 'b']
    .map((name) => `${options.prefix}${name}`)
    .map((name) =>
      definePipeline({
        name,
        source: memory.source({
          units: {
            all: Array.from({ length: 5 }, (_, i) => ({
              key: `${name}-${i}`,
              fields: { name: `${name} ${i}` },
            })),
          },
        }),
        destination: notion.destination({
          dataSourceId: options.dataSourceId,
          auth: { oauth },
          baseUrl: options.notionUrl,
          properties: { Name: { type: 'title', field: 'name' } },
          requestsPerSecond: 500,
        }),
        retryMinDelayMs: 10,
        schedule: { everyMs: 3_600_000 },
      }),
    );
}
