import { randomUUID } from 'node:crypto';
import type { FakeResponse } from '../fake-server.js';

/** The code and message Notion documents for a server-side status (injected faults). */
const SERVER_ERRORS: Record<number, { code: string; message: string }> = {
  409: {
    code: 'conflict_error',
    message:
      'Conflict occurred while saving. Please try again. The transaction could not be completed, potentially due to a data collision.',
  },
  500: { code: 'internal_server_error', message: 'Unexpected error occurred.' },
  503: {
    code: 'service_unavailable',
    message: 'Notion is unavailable, try again later. The response took longer than 60 seconds.',
  },
  504: { code: 'gateway_timeout', message: 'Notion timed out while completing this request.' },
  529: { code: 'service_overload', message: 'Notion is overloaded, try again later.' },
};

export const ARCHIVED =
  "Can't edit block that is archived. You must unarchive the block before editing.";

/** Notion's error body: `{ object: 'error', status, code, message, request_id }`. */
export function notionError(status: number, code: string, message: string): unknown {
  const server = code === 'internal_server_error' ? SERVER_ERRORS[status] : undefined;
  const known = status === 401 ? 'unauthorized' : status === 404 ? 'object_not_found' : code;
  return {
    object: 'error',
    status,
    code: server?.code ?? known,
    message: server?.message ?? message,
    request_id: randomUUID(),
  };
}

export function fail(status: number, code: string, message: string): FakeResponse {
  return { status, body: notionError(status, code, message) };
}

export function restricted(): FakeResponse {
  return fail(
    403,
    'restricted_resource',
    "Given the bearer token used, the client doesn't have permission to perform this operation.",
  );
}

export function missing(id: string): FakeResponse {
  return fail(
    404,
    'object_not_found',
    `Could not find object with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
  );
}
