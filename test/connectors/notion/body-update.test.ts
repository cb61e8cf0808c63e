import { describe, expect } from 'vitest';
import type { NotionDestinationOptions } from '../../../src/connectors/notion/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import { runPipeline } from '../../../src/sync/index.js';
import type { FakeNotion } from '../../fakes/index.js';
import { notionPipeline, notionTest, repoRecords } from './helpers.js';

const BLOCK_PATHS = /^\/v1\/blocks\//;

/** What a page shows: its blocks' types and text. */
function shown(fake: FakeNotion, pageId: string): string[] {
  return fake.pages.get(pageId)!.children.map((block) => {
    const type = block.type as string;
    const parts = (block[type] as { rich_text?: Array<{ plain_text: string }> }).rich_text ?? [];
    return `${type}: ${parts.map((part) => part.plain_text).join('')}`;
  });
}

describe('notion destination: page bodies on update', () => {
  const withNotion = notionTest();

  const withBodies = (records: SyncRecord[], body: (index: number) => string) =>
    records.map((record, index) => ({ ...record, body: body(index) }));

  const pipelineOf = (
    destination: NotionDestinationOptions,
    records: () => readonly SyncRecord[],
  ) => notionPipeline({ records, destination });

  withNotion(
    'replaces the blocks when the body changed, and sends no block writes when only a property changed',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      let records = withBodies(repoRecords(3), (index) => `# Repo ${index}\n\nFirst body.`);
      const pipeline = pipelineOf(destinationOptions(), () => records);
      expect((await runPipeline({ store, pipeline, unit: 'all' })).stats.created).toBe(3);
      const pageOf = (key: string) =>
        fake
          .pagesOf(dataSourceId)
          .find(
            (page) =>
              page.properties['Repo ID'] !== undefined &&
              JSON.stringify(page.properties['Repo ID']).includes(`"${key}"`),
          )!.id;
      const first = pageOf('5001');
      expect(shown(fake, first)).toEqual(['heading_1: Repo 1', 'paragraph: First body.']);

      // The body of one record changes.
      records = records.map((record) =>
        record.key === '5001'
          ? { ...record, body: '# Repo 1\n\nSecond body.\n\n- one\n- two' }
          : record,
      );
      fake.server.resetCounts();
      const changed = await runPipeline({ store, pipeline, unit: 'all' });
      expect(changed.stats).toMatchObject({ updated: 1, unchanged: 2 });
      expect(shown(fake, first)).toEqual([
        'heading_1: Repo 1',
        'paragraph: Second body.',
        'bulleted_list_item: one',
        'bulleted_list_item: two',
      ]);

      // Only a property changes: the body is compared and left alone.
      records = records.map((record) =>
        record.key === '5002' ? { ...record, fields: { ...record.fields, stars: 99 } } : record,
      );
      fake.server.resetCounts();
      const propertyOnly = await runPipeline({ store, pipeline, unit: 'all' });
      expect(propertyOnly.stats).toMatchObject({ updated: 1, unchanged: 2 });
      expect(fake.server.count({ method: 'PATCH', path: /^\/v1\/pages\// })).toBe(1);
      const blockWrites = fake.server.requests.filter(
        (seen) => BLOCK_PATHS.test(seen.path) && seen.method !== 'GET',
      );
      expect(blockWrites).toEqual([]);
      expect(shown(fake, pageOf('5002'))).toEqual(['heading_1: Repo 2', 'paragraph: First body.']);
    },
  );

  withNotion(
    'writes a body over blocks a person changed in Notion, once the record changes',
    async ({ fake, dataSourceId, store, destinationOptions }) => {
      let records = withBodies(repoRecords(1), () => 'Kept in sync.');
      const pipeline = pipelineOf(destinationOptions(), () => records);
      await runPipeline({ store, pipeline, unit: 'all' });
      const page = fake.pagesOf(dataSourceId)[0]!;
      page.children.push({ ...page.children[0]!, id: 'person-added' });
      records = withBodies(repoRecords(1, 2), () => 'Kept in sync, again.');
      await runPipeline({ store, pipeline, unit: 'all' });
      expect(shown(fake, page.id)).toEqual(['paragraph: Kept in sync, again.']);
    },
  );
});
