import { streamClientMessage, streamCloseCode, streamServerMessage } from './openapi-stream.js';
import { MAX_DATA_DEPTH } from './protocol.js';

const error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

const errors = {
  '400': {
    description: 'Bad input',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  '401': {
    description: 'Missing, invalid or expired token',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  '403': {
    description: 'Not authorized for a collection',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
} as const;

const serverHlc = {
  $ref: '#/components/schemas/Hlc',
  description: "The server's clock when it answered: clients merge it into theirs (HLC receive)",
};

/**
 * Well-formed Unicode without NUL: under JSON Schema's Unicode regular expressions a lone
 * surrogate is a code point of its own, which this class refuses, while a pair is one code
 * point outside it.
 */
const WELL_FORMED = '^[^\\u0000\\uD800-\\uDFFF]*$';
const NAMES = '^[A-Za-z0-9_.-]{1,64}(,[A-Za-z0-9_.-]{1,64})*$';

const hlc = {
  type: 'string',
  pattern: '^\\d{15}-\\d{6}-[A-Za-z0-9_.-]{1,64}$',
  example: '001778000000000-000000-n1a2b3c',
} as const;
const resync = {
  type: 'object',
  required: ['full_resync_required', 'collections'],
  properties: {
    full_resync_required: { const: true },
    collections: { type: 'array', items: { type: 'string' } },
    reason: {
      type: 'string',
      enum: ['retention', 'unknown_cursor', 'foreign_version', 'slow_consumer'],
      description:
        '`foreign_version`: `since` is a version of fastapi-offline-sync (e.g. 20260502T120000.000Z-0001); resync to migrate',
    },
    server_hlc: serverHlc,
  },
} as const;

/**
 * OpenAPI 3.1 description of the HTTP endpoints, and of the WebSocket stream's messages and
 * close codes (components `StreamClientMessage`, `StreamServerMessage`, `StreamCloseCode`).
 */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'keepsync offline-first sync server',
    version: '1',
    description:
      'Push, pull and full resync for offline-first clients. Versions are HLC strings; cursors (`last_seq`, `X-Sync-LastSeq`) are opaque strings. Every seq and cursor counts within the scope of the caller (the tenant its token names), so none reveals anything about the writes of other tenants.\n\n' +
      '## WebSocket `/sync/stream`\n' +
      'The token goes in the `token` query parameter, an `auth` message or the `subscribe` message. Client messages: `{type:"auth", token}` (answer `{type:"authenticated", actor}`), `{type:"subscribe", token?, since?, collections?}` (once per socket; answer `{type:"subscribed", since, collections}`, then the backlog as `change` messages, then `{type:"caught_up", last_seq}`, then live changes), `{type:"ping"}` (answer `{type:"pong"}`). Server messages: `{type:"change", seq, version, collection, doc_id, operation, data, client_id, actor_id}`, `{type:"heartbeat"}`, `{type:"full_resync_required", collections, reason}`, `{type:"error", error:{code, message}}`.\n' +
      'Close codes: 4000 full resync required (retention, unknown cursor, foreign version, slow consumer); 4400 bad message (invalid JSON, second subscribe, bad collections); 4401 token refused or expired (`AUTH_EXPIRED`); 4403 collection or identity forbidden; 4408 no authentication in time; 1001 server shutting down; 1011 internal error.\n' +
      'The schemas `StreamClientMessage`, `StreamServerMessage` and `StreamCloseCode` say the same exactly; the `GET /sync/stream` operation is the upgrade.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      Error: error,
      Hlc: hlc,
      Change: {
        type: 'object',
        required: ['collection', 'operation', 'doc_id'],
        properties: {
          id: {
            type: 'string',
            minLength: 1,
            maxLength: 200,
            pattern: WELL_FORMED,
            description:
              'Client change id; the idempotency key of retries. Well-formed Unicode without NUL; lengths count code points',
          },
          collection: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
          operation: { type: 'string', enum: ['upsert', 'delete'] },
          doc_id: {
            oneOf: [
              { type: 'string', minLength: 1, maxLength: 512, pattern: WELL_FORMED },
              { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 },
            ],
            description: 'Well-formed Unicode without NUL (a lone UTF-16 surrogate is refused)',
          },
          data: {
            type: ['object', 'null'],
            description: `Required for upsert. A JSON object nested at most ${MAX_DATA_DEPTH} levels deep (\`{}\` is 1; deeper is a 400 naming the change)`,
          },
          parent_version: { oneOf: [{ $ref: '#/components/schemas/Hlc' }, { type: 'null' }] },
          hlc: {
            $ref: '#/components/schemas/Hlc',
            description:
              "The client's HLC of the edit (last-writer-wins). Never a reason to refuse the change: one more than 60 s ahead of the server's clock is ordered by the server's receipt instead.",
          },
        },
        if: { properties: { operation: { const: 'upsert' } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
        then: { required: ['data'], properties: { data: { type: 'object' } } },
      },
      ChangeResult: {
        type: 'object',
        required: ['doc_id', 'collection', 'status'],
        properties: {
          doc_id: { type: 'string' },
          collection: { type: 'string' },
          status: { type: 'string', enum: ['accepted', 'conflict_resolved', 'rejected'] },
          new_version: { $ref: '#/components/schemas/Hlc' },
          code: { type: 'string' },
          error: { type: 'string' },
          document: {
            type: 'object',
            properties: {
              data: { type: ['object', 'null'] },
              deleted: { type: 'boolean' },
              version: { $ref: '#/components/schemas/Hlc' },
            },
          },
          replayed: { type: 'boolean' },
        },
      },
      OplogChange: {
        type: 'object',
        required: ['seq', 'version', 'collection', 'doc_id', 'operation', 'data'],
        properties: {
          seq: {
            type: 'integer',
            description:
              "The change's number in the caller's scope: 1, 2, 3... in commit order, without gaps; other scopes' writes never change it",
          },
          version: { $ref: '#/components/schemas/Hlc' },
          collection: { type: 'string' },
          doc_id: { type: 'string' },
          operation: { type: 'string', enum: ['upsert', 'delete'] },
          data: { type: ['object', 'null'] },
          client_id: { type: ['string', 'null'] },
          actor_id: {
            type: ['string', 'null'],
            description:
              'The authenticated actor who made the change (the token, or server.write `actor`); null in entries stored before actors were recorded',
          },
        },
      },
      FullResyncRequired: resync,
      StreamClientMessage: streamClientMessage,
      StreamServerMessage: streamServerMessage,
      StreamCloseCode: streamCloseCode,
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/sync/push': {
      post: {
        summary: 'Push client changes',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['client_id', 'changes'],
                properties: {
                  client_id: {
                    type: 'string',
                    minLength: 1,
                    maxLength: 200,
                    pattern: WELL_FORMED,
                    description: 'Well-formed Unicode without NUL',
                  },
                  changes: {
                    type: 'array',
                    items: { $ref: '#/components/schemas/Change' },
                    description:
                      'At most `maxChangesPerPush` (default 1000) changes, else 413; the body at most `maxBodyBytes` (default 1 MiB), else 413',
                  },
                  atomic: { type: 'boolean', description: 'All or nothing' },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'One result per change, in order',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    results: {
                      type: 'array',
                      items: { $ref: '#/components/schemas/ChangeResult' },
                    },
                    server_hlc: serverHlc,
                  },
                },
              },
            },
          },
          ...errors,
          '413': {
            description: 'Body or batch too large',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      },
    },
    '/sync/pull': {
      get: {
        summary: 'Changes after a cursor',
        parameters: [
          {
            name: 'since',
            in: 'query',
            schema: {
              type: 'string',
              pattern:
                '^(|\\d{1,15}|\\d{15}-\\d{6}-[A-Za-z0-9_.-]{1,64}|\\d{8}T\\d{6}\\.\\d{3}Z-\\d{4}(-[0-9a-f]{4})?)$',
            },
            description:
              '`last_seq` of the previous pull (digits), an HLC version, or a fastapi-offline-sync version (answered with a full resync)',
          },
          {
            name: 'collections',
            in: 'query',
            schema: { type: 'string', pattern: NAMES },
            description:
              "Comma-separated collection names (each 1-64 letters, digits, '_', '.', '-'); default: every collection (required when `authorize` is set and there is no allow-list)",
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 500 },
          },
        ],
        responses: {
          '200': {
            description: 'Changes, or a full resync instruction',
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    {
                      type: 'object',
                      required: ['changes', 'last_seq'],
                      properties: {
                        changes: {
                          type: 'array',
                          items: { $ref: '#/components/schemas/OplogChange' },
                        },
                        last_seq: {
                          type: 'string',
                          description:
                            "The `since` of the next pull: the last change's seq when the page is full, else the scope's newest seq (digits; the caller's scope only)",
                        },
                        has_more: { type: 'boolean' },
                        server_hlc: serverHlc,
                      },
                    },
                    { $ref: '#/components/schemas/FullResyncRequired' },
                  ],
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/sync/full': {
      get: {
        summary: 'Every document (tombstones included) as NDJSON, from one consistent snapshot',
        parameters: [
          {
            name: 'collections',
            in: 'query',
            schema: { type: 'string', pattern: NAMES },
            description:
              "Comma-separated collection names (each 1-64 letters, digits, '_', '.', '-'); a named collection the caller may not read is a 403 (FORBIDDEN, or FULL_RESYNC_DISABLED when its full resync is turned off). Omitted: every collection the caller may read (the allow-list's, else those holding the scope's documents), leaving out refused ones",
          },
          {
            name: 'cursor',
            in: 'query',
            schema: { type: 'string' },
            description: 'X-Sync-Cursor of the previous page',
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 100000 },
            description: 'Page size; omit for everything in one stream',
          },
          {
            name: 'end_marker',
            in: 'query',
            schema: { type: 'string', enum: ['true', 'false'] },
            description:
              'true: the last line is {"type":"end","count":N} (N documents sent), so a cut stream is told apart from a complete one',
          },
          {
            name: 'format',
            in: 'query',
            schema: { type: 'string', enum: ['objects', 'rows'], default: 'objects' },
            description:
              'objects: one object per document line. rows: each document is an array [doc_id, version, deleted, data, actor_id] (data null for a tombstone), and the first document of each collection in a response follows a line {"type":"collection","collection":NAME} naming the collection of every array after it; no key names are repeated per document. Servers that predate the parameter ignore it and send objects, so a client reading both works with either',
          },
        ],
        responses: {
          '200': {
            description:
              'One JSON document per line: {collection, doc_id, version, deleted, actor_id, data} (format=objects) or [doc_id, version, deleted, data, actor_id] after a collection line (format=rows), then the end line when end_marker=true; gzip when asked',
            headers: {
              'X-Sync-LastSeq': {
                schema: { type: 'string' },
                description:
                  "Pull from here afterwards: the scope's newest seq in the snapshot (the caller's scope only)",
              },
              'X-Sync-Cursor': {
                schema: { type: 'string' },
                description: 'Present when more pages remain',
              },
            },
            content: { 'application/x-ndjson': { schema: { type: 'string' } } },
          },
          ...errors,
        },
      },
    },
    '/sync/stream': {
      get: {
        summary: 'Live changes over a WebSocket (send `Upgrade: websocket`)',
        description:
          'Client messages are `StreamClientMessage`, server messages `StreamServerMessage`, close codes `StreamCloseCode`',
        parameters: [
          {
            name: 'token',
            in: 'query',
            schema: { type: 'string' },
            description: 'The token, if not sent in an `auth` or `subscribe` message',
          },
        ],
        security: [],
        responses: {
          '101': { description: 'Switching to the WebSocket protocol' },
          '426': {
            description: 'Not a WebSocket upgrade',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        security: [],
        responses: {
          '200': {
            description: 'Text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
  },
} as const;
