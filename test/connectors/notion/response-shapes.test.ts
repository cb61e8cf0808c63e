import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNotion, NOTION_VERSION } from '../../fakes/index.js';

/** JSON schemas generated from the Notion SDK's own response types (no OpenAPI description exists). */
const schemas = createRequire(import.meta.url)('../../fakes/schemas/notion-responses.json') as {
  definitions: Record<string, object>;
};

const USER = '00000000-0000-4000-8000-0000000000a1';

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ ...schemas, $id: 'notion' });

describe('the Notion fake answers in the shapes of the SDK response types, for every call the connector makes', () => {
  let fake: FakeNotion;
  let databaseId: string;
  let dataSourceId: string;
  let pageId: string;
  beforeAll(async () => {
    fake = await new FakeNotion({ tokens: ['secret_shapes'] }).start();
    ({ databaseId, dataSourceId } = fake.createDatabase('Tasks', {
      Name: { type: 'title' },
      Points: { type: 'number' },
      Tags: { type: 'multi_select' },
      Done: { type: 'checkbox' },
      Due: { type: 'date' },
      Link: { type: 'url' },
      Notes: { type: 'rich_text' },
      Owners: { type: 'people' },
    }));
    const created = await call('POST', '/v1/pages', {
      parent: { type: 'data_source_id', data_source_id: dataSourceId },
      properties: {
        Name: { title: [{ text: { content: 'First' } }] },
        Points: { number: 3 },
        Tags: { multi_select: [{ name: 'a' }] },
      },
      children: [
        {
          object: 'block',
          type: 'paragraph',
          paragraph: { rich_text: [{ type: 'text', text: { content: 'Hello' } }] },
        },
      ],
    });
    pageId = (created.body as { id: string }).id;
    // People are set by a person in Notion (the connector never writes them).
    const page = fake.pages.get(pageId)!;
    page.properties.Owners = { ...page.properties.Owners, people: [{ object: 'user', id: USER }] };
  });
  afterAll(async () => {
    await fake.close();
  });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: {
        authorization: 'Bearer secret_shapes',
        'content-type': 'application/json',
        'notion-version': NOTION_VERSION,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  const propertyId = (name: string) => encodeURIComponent(fake.schemaOf(dataSourceId)[name]!.id);

  const cases: Array<[string, () => [string, string, unknown?], string]> = [
    ['retrieve a database', () => ['GET', `/v1/databases/${databaseId}`], 'GetDatabaseResponse'],
    [
      'retrieve a data source',
      () => ['GET', `/v1/data_sources/${dataSourceId}`],
      'GetDataSourceResponse',
    ],
    [
      'query a data source',
      () => ['POST', `/v1/data_sources/${dataSourceId}/query`, { page_size: 10 }],
      'QueryDataSourceResponse',
    ],
    [
      'create a page',
      () => [
        'POST',
        '/v1/pages',
        {
          parent: { type: 'data_source_id', data_source_id: dataSourceId },
          properties: { Name: { title: [{ text: { content: 'Second' } }] } },
        },
      ],
      'CreatePageResponse',
    ],
    ['retrieve a page', () => ['GET', `/v1/pages/${pageId}`], 'PageObjectResponse'],
    [
      'update a page',
      () => ['PATCH', `/v1/pages/${pageId}`, { properties: { Points: { number: 4 } } }],
      'UpdatePageResponse',
    ],
    [
      'append block children',
      () => [
        'PATCH',
        `/v1/blocks/${pageId}/children`,
        {
          children: [
            {
              object: 'block',
              type: 'bulleted_list_item',
              bulleted_list_item: { rich_text: [{ type: 'text', text: { content: 'Item' } }] },
            },
          ],
        },
      ],
      'AppendBlockChildrenResponse',
    ],
    [
      'list block children',
      () => ['GET', `/v1/blocks/${pageId}/children`],
      'ListBlockChildrenResponse',
    ],
    [
      'retrieve a page property item (title: a paginated list)',
      () => ['GET', `/v1/pages/${pageId}/properties/${propertyId('Name')}`],
      'PropertyItemListResponse',
    ],
    [
      'retrieve a page property item (people: a paginated list)',
      () => ['GET', `/v1/pages/${pageId}/properties/${propertyId('Owners')}?page_size=10`],
      'PropertyItemListResponse',
    ],
    [
      'retrieve a page property item (number: one item)',
      () => ['GET', `/v1/pages/${pageId}/properties/${propertyId('Points')}`],
      'PropertyItemObjectResponse',
    ],
  ];
  for (const [what, request, type] of cases) {
    it(`${what} answers a ${type}`, async () => {
      const [method, path, body] = request();
      const response = await call(method, path, body);
      expect(response.status).toBe(200);
      const validate = ajv.getSchema(`notion#/definitions/${type}`)!;
      const valid = validate(response.body);
      expect(validate.errors?.slice(0, 5) ?? []).toEqual([]);
      expect(valid).toBe(true);
    });
  }
});
