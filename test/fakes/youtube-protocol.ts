import { createHash } from 'node:crypto';
import type { FakeRequest, FakeResponse } from './fake-server.js';

// The YouTube fake's protocol: Google's error envelope, the checks every list call makes on
// its parameters, page tokens and etags.

export interface GoogleError {
  readonly status: number;
  readonly reason: string;
  readonly domain: string;
  readonly message: string;
  readonly rpcStatus: string;
  readonly location?: string;
}

export const RPC_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
};

/** Google's JSON error envelope: `{ error: { code, message, errors: [{ domain, reason }], status } }`. */
export function googleBody(error: GoogleError): unknown {
  return {
    error: {
      code: error.status,
      message: error.message,
      errors: [
        {
          message: error.message,
          domain: error.domain,
          reason: error.reason,
          ...(error.location ? { location: error.location, locationType: 'parameter' } : {}),
        },
      ],
      status: error.rpcStatus,
    },
  };
}

export function fail(error: Omit<GoogleError, 'rpcStatus'> & { rpcStatus?: string }): FakeResponse {
  const rpcStatus = error.rpcStatus ?? RPC_STATUS[error.status] ?? 'UNKNOWN';
  return { status: error.status, body: googleBody({ ...error, rpcStatus }) };
}

export const QUOTA_MESSAGE =
  'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.';

export function partsOf(request: FakeRequest, allowed: readonly string[]): string[] | FakeResponse {
  const parts = listParam(request.query, 'part');
  if (parts.length === 0) {
    return fail({
      status: 400,
      reason: 'required',
      domain: 'global',
      message: 'Required parameter: part',
      location: 'part',
    });
  }
  const unknown = parts.find((name) => !allowed.includes(name));
  if (unknown) {
    return fail({
      status: 400,
      reason: 'unknownPart',
      domain: 'youtube.part',
      message: `'${unknown}'`,
      location: 'part',
    });
  }
  return parts;
}

export function maxResultsOf(request: FakeRequest): number | FakeResponse {
  const raw = request.query.get('maxResults');
  if (raw === null) return 5;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 50) {
    return fail({
      status: 400,
      reason: 'invalidParameter',
      domain: 'youtube.parameter',
      message: `Invalid value '${raw}'. Values must be within the range: [0, 50]`,
      location: 'maxResults',
    });
  }
  return value;
}

export function etagOf(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('base64url').slice(0, 27);
}

export function encodeToken(offset: number): string {
  return `EAAa${Buffer.from(`PT:${offset}`).toString('base64url')}`;
}

export function decodeToken(token: string): number | null {
  if (!token.startsWith('EAAa')) return null;
  const match = /^PT:(\d+)$/.exec(Buffer.from(token.slice(4), 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

/** A list parameter, sent comma-separated or repeated (`id=a&id=b`, as the SDK does). */
export function listParam(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}
