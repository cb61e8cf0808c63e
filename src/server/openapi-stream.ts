/**
 * The WebSocket protocol of `/sync/stream` as JSON Schemas, part of the OpenAPI document:
 * every message each side may send, and the close codes the server uses.
 */

const text = { type: 'string' } as const;
const names = { type: 'array', items: text } as const;

const message = (type: string, properties: object = {}, required: string[] = []) => ({
  type: 'object',
  required: ['type', ...required],
  properties: { type: { const: type }, ...properties },
});

/** Messages a client sends. Only the first `subscribe` of a socket is accepted. */
export const streamClientMessage = {
  description: 'A message a client sends on /sync/stream',
  oneOf: [
    message('auth', { token: text }, ['token']),
    {
      ...message('subscribe', {
        token: { ...text, description: 'Needed unless the socket already authenticated' },
        since: {
          type: ['string', 'null'],
          description: '`last_seq` of a pull or `caught_up`, or an HLC version; omitted: from 0',
        },
        collections: { type: ['array', 'null'], items: text },
      }),
      description:
        'Once per socket. Other fields (e.g. `scope`) are passed to the `streamIdentity` resolver',
    },
    message('ping'),
  ],
} as const;

/** Messages the server sends. */
export const streamServerMessage = {
  description: 'A message the server sends on /sync/stream',
  oneOf: [
    message('authenticated', { actor: text }, ['actor']),
    message('subscribed', { since: text, collections: { type: ['array', 'null'], items: text } }, [
      'since',
      'collections',
    ]),
    {
      ...message(
        'change',
        {
          seq: {
            type: 'integer',
            description:
              "The change's number in the caller's scope: 1, 2, 3... in commit order, without gaps; other scopes' writes never change it",
          },
          version: { $ref: '#/components/schemas/Hlc' },
          collection: text,
          doc_id: text,
          operation: { enum: ['upsert', 'delete'] },
          data: { type: ['object', 'null'] },
          client_id: { type: ['string', 'null'] },
          actor_id: { type: ['string', 'null'] },
        },
        ['seq', 'version', 'collection', 'doc_id', 'operation', 'data', 'client_id', 'actor_id'],
      ),
      additionalProperties: false,
    },
    message(
      'caught_up',
      {
        last_seq: {
          ...text,
          description: "The scope's newest seq sent (a `since` to resume from)",
        },
      },
      ['last_seq'],
    ),
    message('heartbeat'),
    message('pong'),
    message(
      'full_resync_required',
      {
        collections: names,
        reason: { enum: ['retention', 'unknown_cursor', 'foreign_version', 'slow_consumer'] },
      },
      ['collections', 'reason'],
    ),
    message(
      'error',
      {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: text, message: text },
        },
      },
      ['error'],
    ),
  ],
} as const;

/** Close codes the server closes a stream with (the close reason is the error code). */
export const streamCloseCode = {
  description: 'The close code of a /sync/stream socket the server closes',
  oneOf: [
    { const: 1001, description: 'The server is shutting down' },
    { const: 1011, description: 'Internal error; reconnect' },
    {
      const: 4000,
      description:
        'Full resync required (retention, unknown cursor, foreign version, slow consumer); a `full_resync_required` message comes first',
    },
    {
      const: 4400,
      description: 'Bad message: invalid JSON, unknown type, a second subscribe, bad collections',
    },
    { const: 4401, description: 'Token refused, or expired while connected (`AUTH_EXPIRED`)' },
    {
      const: 4403,
      description:
        'A collection, or the identity the `streamIdentity` resolver was asked for, is forbidden',
    },
    { const: 4408, description: 'No authentication within `wsAuthTimeoutMs`' },
  ],
} as const;
