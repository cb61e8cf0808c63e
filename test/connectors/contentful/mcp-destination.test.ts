import { afterEach, describe, expect, it } from 'vitest';
import * as contentful from '../../../src/connectors/contentful/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeContentfulMcp } from '../../fakes/contentful-mcp.js';
import { memoryStore } from '../../sync/helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

let serial = 0;

async function setup() {
  const token = `mcp_dest_${process.pid}_${++serial}`;
  const fake = await new FakeContentfulMcp({
    space: 's1',
    tokens: [token],
    required: ['title'],
  }).start();
  const store = memoryStore();
  closers.push(
    () => fake.close(),
    () => store.close(),
  );
  const run = (records: { key: string; fields: Record<string, unknown> }[]) =>
    runPipeline({
      store,
      unit: 'all',
      pipeline: definePipeline({
        name: 'mcp',
        source: memory.source({ units: { all: () => records as never } }),
        destination: contentful.mcpDestination({
          url: fake.url,
          auth: { token },
          allowLoopback: true,
          space: 's1',
          contentType: 'event',
          keyField: 'keepsyncKey',
          fields: { title: 'title' },
          publish: true,
          requestsPerSecond: 200,
          minDelayMs: 5,
        }),
        retryMinDelayMs: 5,
      }),
    });
  return { fake, run, store };
}

describe('contentful.mcpDestination', () => {
  it('a create applied but answered with a 502 searches the key before trying again: no duplicate', async () => {
    const { fake, run } = await setup();
    fake.mcp.loseAnswers('create_entry', 2);
    const result = await run([
      { key: 'a', fields: { title: 'A' } },
      { key: 'b', fields: { title: 'B' } },
    ]);
    expect(result.stats).toMatchObject({ created: 2, failed: 0 });
    const keys = [...fake.entries.values()].map((entry) => entry.fields.keepsyncKey?.['en-US']);
    expect(keys.sort()).toEqual(['a', 'b']);
    expect(fake.mcp.calls.filter((call) => call.tool === 'create_entry')).toHaveLength(2);
    // Each entry is published once it is there.
    expect([...fake.entries.values()].every((entry) => entry.publishedVersion !== undefined)).toBe(
      true,
    );
  });

  it('an isError answer dead-letters the record naming the tool and the record', async () => {
    const { fake, run, store } = await setup();
    const result = await run([
      { key: 'ok', fields: { title: 'Fine' } },
      { key: 'bad', fields: {} },
    ]);
    expect(result.stats).toMatchObject({ created: 1, failed: 1 });
    const [letter] = await store.listDeadLetters({ pipeline: 'mcp' });
    expect(letter?.key).toBe('bad');
    expect(letter?.error).toMatch(
      /MCP tool create_entry failed for record bad: .*field title is required/,
    );
    expect(fake.entries.size).toBe(1);
  });
});
