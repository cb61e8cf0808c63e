import * as contentful from '../../../src/connectors/contentful/index.js';
import type { Destination } from '../../../src/sync/index.js';
import { FakeContentfulMcp } from '../../fakes/contentful-mcp.js';
import type { DestinationHarness, StoredObject } from './harness.js';

let tokens = 0;

function mcpDestination(url: string, space: string, token: string, rps: number): Destination {
  return contentful.mcpDestination({
    url,
    auth: { token },
    allowLoopback: true,
    space,
    contentType: 'event',
    keyField: 'keepsyncKey',
    fields: { title: 'title', n: 'rank' },
    publish: true,
    requestsPerSecond: rps,
    concurrency: 6,
    retries: 8,
    minDelayMs: 10,
  });
}

/** For the SIGKILL worker: `[mcpUrl, space, token]`. */
export function workerDestination([url, space, token]: readonly string[]): Destination {
  return mcpDestination(url!, space!, token!, 300);
}

export const contentfulMcpDestinationHarness: DestinationHarness = {
  connector: 'contentful (MCP)',
  gaps: {},
  workerModule: new URL('./contentful-mcp.ts', import.meta.url).pathname,
  async start() {
    const token = `mcp_conformance_${process.pid}_${++tokens}`;
    const fake = await new FakeContentfulMcp({
      space: 'space1',
      tokens: [token],
      required: ['title'],
    }).start();
    return {
      server: fake.server,
      workerArgs: [fake.url, 'space1', token],
      destination: () => mcpDestination(fake.url, 'space1', token, 500),
      async objects() {
        const found = new Map<string, StoredObject[]>();
        for (const entry of fake.entries.values()) {
          const key = String(entry.fields.keepsyncKey?.['en-US'] ?? entry.id);
          const object = { title: String(entry.fields.title?.['en-US'] ?? ''), archived: false };
          found.set(key, [...(found.get(key) ?? []), object]);
        }
        return found;
      },
      revoke: () => fake.revokeToken(token),
      // Every MCP request is a POST to one path: faults meet whichever call comes next
      // (initialize, a lookup, a create), which the destination must all survive.
      createPath: { method: 'POST', path: /\/mcp$/ },
      deletes: 'delete',
      close: () => fake.close(),
    };
  },
};
