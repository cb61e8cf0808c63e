import { randomUUID } from 'node:crypto';
import type { FakeResponse } from './fake-server.js';

const ERROR_TEXT: Record<number, [string, string]> = {
  400: ['BadRequest', 'The request was malformed.'],
  401: ['AccessTokenInvalid', 'The access token you sent could not be found or is invalid.'],
  403: ['AccessDenied', 'The access token cannot reach this resource.'],
  404: ['NotFound', 'The resource could not be found.'],
  409: ['VersionMismatch', 'The version you sent does not match the current version.'],
  422: ['ValidationFailed', 'Validation error'],
  429: ['RateLimitExceeded', 'You have exceeded the rate limit. Please wait a moment.'],
};

/** Contentful's error body: `{ sys: { type: 'Error', id }, message, details?, requestId }`. */
export function managementError(status: number, _code: string, message: string): unknown {
  const [id, text] = ERROR_TEXT[status] ?? ['ServerError', message];
  return { sys: { type: 'Error', id }, message: text, requestId: randomUUID() };
}

export function fail(status: number, details?: unknown, message?: string): FakeResponse {
  const [id, text] = ERROR_TEXT[status] ?? ['ServerError', 'Server error'];
  return {
    status,
    body: {
      sys: { type: 'Error', id },
      message: message ?? text,
      ...(details === undefined ? {} : { details }),
      requestId: randomUUID(),
    },
  };
}
