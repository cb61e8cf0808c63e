import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocumentStore, openApiDocument } from '../../src/server/index.js';
import { type Running, startServer, token } from './helpers.js';
import { arbitraryFor, type JsonSchema } from './schema-arbitrary.js';

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...openApiDocument, $id: 'openapi' });

interface Parameter {
  readonly name: string;
  readonly schema: JsonSchema;
}
const paths = openApiDocument.paths as unknown as Record<
  string,
  Record<string, { parameters?: Parameter[]; requestBody?: unknown }>
>;
const pushSchema = (
  openApiDocument.paths['/sync/push'].post.requestBody.content['application/json'] as {
    schema: JsonSchema;
  }
).schema;
const validPush = ajv.getSchema(
  'openapi#/paths/~1sync~1push/post/requestBody/content/application~1json/schema',
)!;

function parameterValid(path: string, name: string, value: unknown): boolean {
  const parameter = paths[path]!.get!.parameters!.find((entry) => entry.name === name)!;
  return ajv.validate(parameter.schema, value) as boolean;
}

/** Query parameters the document describes, drawn at random (each present or not). */
function queryFor(path: string, skip: readonly string[]): fc.Arbitrary<Record<string, string>> {
  const parameters = (paths[path]!.get!.parameters ?? []).filter(
    (parameter) => !skip.includes(parameter.name),
  );
  return fc
    .record(
      Object.fromEntries(
        parameters.map((parameter) => [
          parameter.name,
          fc.option(arbitraryFor(parameter.schema, openApiDocument), { nil: undefined }),
        ]),
      ),
    )
    .map((drawn) => {
      const query: Record<string, string> = {};
      for (const [name, value] of Object.entries(drawn)) {
        if (value !== undefined) query[name] = String(value);
      }
      return query;
    });
}

const runs = { numRuns: 40, seed: 17 };

/**
 * The OpenAPI document says exactly what the server accepts: requests drawn from its schemas
 * are never refused with a 400, and requests breaking one of its rules are.
 */
export function describeOpenApiProtocol(name: string, makeStore: () => Promise<DocumentStore>) {
  describe(`sync OpenAPI document against the server on ${name}`, () => {
    let store: DocumentStore;
    let running: Running;
    let jwt: string;

    beforeAll(async () => {
      store = await makeStore();
      // No allow-list: every name the document's pattern allows is a collection.
      running = await startServer(store, { collections: undefined });
      const tenant = `openapi-${Math.random().toString(36).slice(2, 8)}`;
      jwt = await token({ sub: 'u', tenant }, { expiresIn: '1h' });
    });
    afterAll(async () => {
      await running.close();
      await store.close();
    });

    const answered = async (response: Response) => ({
      status: response.status,
      body: (await response.text()).slice(0, 300),
    });

    it('accepts every push body the document allows', async () => {
      await fc.assert(
        fc.asyncProperty(arbitraryFor(pushSchema, openApiDocument), async (body) => {
          expect(validPush(body), ajv.errorsText(validPush.errors)).toBe(true);
          const { status, body: text } = await answered(await running.push(jwt, body));
          expect(status, `${text} for ${JSON.stringify(body).slice(0, 300)}`).toBe(200);
        }),
        runs,
      );
    });

    it('accepts every pull and full resync query the document allows', async () => {
      await fc.assert(
        fc.asyncProperty(queryFor('/sync/pull', []), async (query) => {
          const { status, body } = await answered(await running.pull(jwt, query));
          expect(status, `${body} for ${JSON.stringify(query)}`).toBe(200);
        }),
        runs,
      );
      // The cursor is opaque: only the server's own X-Sync-Cursor values are meaningful.
      await fc.assert(
        fc.asyncProperty(queryFor('/sync/full', ['cursor']), async (query) => {
          const response = await running.request(`/sync/full?${new URLSearchParams(query)}`, {
            token: jwt,
          });
          const { status, body } = await answered(response);
          expect(status, `${body} for ${JSON.stringify(query)}`).toBe(200);
        }),
        runs,
      );
    });

    const change = (extra: Record<string, unknown>) => ({
      collection: 'tasks',
      operation: 'upsert',
      doc_id: 'd',
      data: {},
      ...extra,
    });
    const badPushes: Array<[string, Record<string, unknown>]> = [
      ['empty client_id', { client_id: '', changes: [] }],
      ['client_id over 200 code points', { client_id: '\u{1F600}'.repeat(201), changes: [] }],
      ['client_id with a lone surrogate', { client_id: 'a\ud800', changes: [] }],
      ['client_id with NUL', { client_id: 'a\u0000', changes: [] }],
      ['upsert without data', { client_id: 'c', changes: [change({ data: undefined })] }],
      ['upsert with null data', { client_id: 'c', changes: [change({ data: null })] }],
      [
        'collection of 65 characters',
        { client_id: 'c', changes: [change({ collection: 'a'.repeat(65) })] },
      ],
      ['collection with a space', { client_id: 'c', changes: [change({ collection: 'a b' })] }],
      [
        'doc_id over 512 code points',
        { client_id: 'c', changes: [change({ doc_id: 'é'.repeat(513) })] },
      ],
      ['doc_id past the safe integers', { client_id: 'c', changes: [change({ doc_id: 2 ** 60 })] }],
      [
        'doc_id with a lone surrogate',
        { client_id: 'c', changes: [change({ doc_id: '\udc00x' })] },
      ],
      ['unknown operation', { client_id: 'c', changes: [change({ operation: 'merge' })] }],
      [
        'parent_version not an HLC',
        { client_id: 'c', changes: [change({ parent_version: 'v1' })] },
      ],
      ['atomic not a boolean', { client_id: 'c', changes: [], atomic: 'yes' }],
    ];

    it('refuses with a 400 every push body that breaks one of the document rules', async () => {
      for (const [label, body] of badPushes) {
        expect(validPush(body), label).toBe(false);
        const { status, body: text } = await answered(await running.push(jwt, body));
        expect(status, `${label}: ${text}`).toBe(400);
      }
    });

    it('refuses with a 400 every query that breaks one of the document rules', async () => {
      const bad: Array<[string, string, string, unknown]> = [
        ['/sync/pull', 'since', 'yesterday', 'yesterday'],
        ['/sync/pull', 'since', '1234567890123456', '1234567890123456'],
        ['/sync/pull', 'limit', '0', 0],
        ['/sync/pull', 'limit', '1001', 1001],
        ['/sync/pull', 'collections', 'a'.repeat(65), 'a'.repeat(65)],
        ['/sync/pull', 'collections', 'tasks,n/otes', 'tasks,n/otes'],
        ['/sync/full', 'limit', '100001', 100001],
        ['/sync/full', 'collections', 'a'.repeat(65), 'a'.repeat(65)],
      ];
      for (const [path, parameter, text, value] of bad) {
        const label = `${path} ${parameter}=${text.slice(0, 20)}`;
        expect(parameterValid(path, parameter, value), label).toBe(false);
        const response = await running.request(
          `${path}?${new URLSearchParams({ [parameter]: text })}`,
          { token: jwt },
        );
        const { status, body } = await answered(response);
        expect(status, `${label}: ${body}`).toBe(400);
      }
    });
  });
}
