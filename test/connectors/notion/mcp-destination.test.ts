import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import * as notion from '../../../src/connectors/notion/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeNotionMcp } from '../../fakes/notion-mcp.js';
import { memoryStore } from '../../sync/helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

let serial = 0;

async function setup() {
  const token = `notion_mcp_dest_${process.pid}_${++serial}`;
  const fake = await new FakeNotionMcp({ tokens: [token] }).start();
  const dataSourceId = fake.createDataSource({
    Name: 'title',
    Due: 'date',
    Done: 'checkbox',
    'keepsync key': 'text',
  });
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
        name: 'notion-mcp',
        source: memory.source({ units: { all: () => records as never } }),
        destination: notion.mcpDestination({
          url: fake.url,
          auth: { token },
          allowLoopback: true,
          dataSourceId,
          keyProperty: 'keepsync key',
          properties: {
            title: { name: 'Name', type: 'title' },
            due: { name: 'Due', type: 'date' },
            done: { name: 'Done', type: 'checkbox' },
          },
          requestsPerSecond: 200,
          minDelayMs: 5,
        }),
        retryMinDelayMs: 5,
      }),
    });
  const pagesFor = (key: string) =>
    [...fake.pages.values()].filter((page) => page.properties['keepsync key'] === key);
  return { fake, run, dataSourceId, pagesFor };
}

describe('notion.mcpDestination', () => {
  it('a near match from semantic search is not taken for the record: a new page is created', async () => {
    const { fake, run, dataSourceId, pagesFor } = await setup();
    // Search answers these for the query "A-1" (shared prefix), but none holds that key.
    for (const key of ['A-10', 'A-11', 'A-1 draft']) {
      fake.addPage(dataSourceId, { Name: `Page ${key}`, 'keepsync key': key });
    }
    const result = await run([{ key: 'A-1', fields: { title: 'One' } }]);
    expect(result.stats).toMatchObject({ created: 1, failed: 0 });
    expect(pagesFor('A-1')).toHaveLength(1);
    expect(pagesFor('A-10')[0]!.properties.Name).toBe('Page A-10');
    expect(pagesFor('A-1 draft')[0]!.properties.Name).toBe('Page A-1 draft');
  });

  it('a page already holding the key (among near matches) is updated, not duplicated', async () => {
    const { fake, run, dataSourceId, pagesFor } = await setup();
    fake.addPage(dataSourceId, { Name: 'Old', 'keepsync key': 'B-2' });
    for (const key of ['B-20', 'B-21', 'B-22']) {
      fake.addPage(dataSourceId, { Name: key, 'keepsync key': key });
    }
    await run([{ key: 'B-2', fields: { title: 'New' } }]);
    expect(pagesFor('B-2')).toHaveLength(1);
    expect(pagesFor('B-2')[0]!.properties.Name).toBe('New');
    expect(fake.mcp.calls.filter((call) => call.tool === 'notion-create-pages')).toHaveLength(0);
  });

  it('writes dates and checkboxes in the tools’ forms; a re-run with nothing changed writes nothing', async () => {
    const { fake, run, pagesFor } = await setup();
    const records = [{ key: 'c', fields: { title: 'C', due: '2026-12-24', done: true } }];
    await run(records);
    expect(pagesFor('c')[0]!.properties).toMatchObject({
      Name: 'C',
      'date:Due:start': '2026-12-24',
      'date:Due:is_datetime': 0,
      Done: '__YES__',
    });
    fake.server.resetCounts();
    await run(records);
    expect(fake.server.writes()).toBe(0);
  });

  it('a create applied but answered with a 502 looks the key up before trying again: no duplicate', async () => {
    const { fake, run, pagesFor } = await setup();
    fake.mcp.loseAnswers('notion-create-pages', 2);
    const result = await run([
      { key: 'd', fields: { title: 'D' } },
      { key: 'e', fields: { title: 'E' } },
    ]);
    expect(result.stats).toMatchObject({ failed: 0 });
    expect(pagesFor('d')).toHaveLength(1);
    expect(pagesFor('e')).toHaveLength(1);
  });

  it('an isError answer rejects the record with the tool’s text; others are written', async () => {
    const { run, pagesFor } = await setup();
    const result = await run([
      { key: 'f', fields: { title: 'F', due: 'not a date' } },
      { key: 'g', fields: { title: 'G' } },
    ]);
    expect(result.stats).toMatchObject({ failed: 1 });
    expect(pagesFor('g')).toHaveLength(1);
    expect(pagesFor('f')).toHaveLength(0);
  });

  it('refuses unknown options and a key property mapped as a field', () => {
    const base = { auth: { token: 't' }, dataSourceId: 'ds', keyProperty: 'Key' };
    expect(() =>
      notion.mcpDestination({ ...base, properties: { a: 'A' }, pageSize: 3 } as never),
    ).toThrow(/unknown option.*pageSize/);
    expect(() => notion.mcpDestination({ ...base, properties: { a: 'Key' } })).toThrow(
      /key property/,
    );
  });
});
