import * as notion from '../../../src/connectors/notion/index.js';
import type { Destination } from '../../../src/sync/index.js';
import { FakeNotionMcp } from '../../fakes/notion-mcp.js';
import type { DestinationHarness, StoredObject } from './harness.js';

let tokens = 0;

function mcpDestination(
  url: string,
  dataSourceId: string,
  token: string,
  rps: number,
): Destination {
  return notion.mcpDestination({
    url,
    auth: { token },
    allowLoopback: true,
    dataSourceId,
    keyProperty: 'keepsync key',
    properties: { title: { name: 'Name', type: 'title' }, n: { name: 'N', type: 'number' } },
    archiveProperty: 'Archived',
    requestsPerSecond: rps,
    concurrency: 6,
    retries: 8,
    minDelayMs: 10,
  });
}

/** For the SIGKILL worker: `[mcpUrl, dataSourceId, token]`. */
export function workerDestination([url, dataSourceId, token]: readonly string[]): Destination {
  return mcpDestination(url!, dataSourceId!, token!, 300);
}

export const notionMcpDestinationHarness: DestinationHarness = {
  connector: 'notion (MCP)',
  gaps: {},
  workerModule: new URL('./notion-mcp.ts', import.meta.url).pathname,
  async start() {
    const token = `notion_mcp_conformance_${process.pid}_${++tokens}`;
    const fake = await new FakeNotionMcp({ tokens: [token] }).start();
    const dataSourceId = fake.createDataSource({
      Name: 'title',
      N: 'number',
      'keepsync key': 'text',
      Archived: 'checkbox',
    });
    return {
      server: fake.server,
      workerArgs: [fake.url, dataSourceId, token],
      destination: () => mcpDestination(fake.url, dataSourceId, token, 500),
      async objects() {
        const found = new Map<string, StoredObject[]>();
        for (const page of fake.pages.values()) {
          const key = String(page.properties['keepsync key'] ?? page.id);
          const object = {
            title: String(page.properties.Name ?? ''),
            archived: page.properties.Archived === '__YES__',
          };
          found.set(key, [...(found.get(key) ?? []), object]);
        }
        return found;
      },
      revoke: () => fake.revokeToken(token),
      // Every MCP request is a POST to one path: faults meet whichever call comes next.
      createPath: { method: 'POST', path: /\/mcp$/ },
      deletes: 'archive',
      close: () => fake.close(),
    };
  },
};
