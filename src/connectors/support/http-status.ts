import { parseRetryAfter } from '../../net/index.js';

/** What SDK errors tell about an HTTP failure, whichever SDK threw them. */
export interface HttpFailure {
  /** 0 when no response arrived (network error, timeout). */
  readonly status: number;
  readonly retryAfterMs: number | undefined;
}

/**
 * Reads the status and Retry-After of an error thrown by Octokit (`status`,
 * `response.headers`), the Notion client (`status`, `headers`) or superagent/Asana
 * (`status`, `response.headers`).
 */
export function httpFailureOf(error: unknown): HttpFailure {
  const candidate = error as {
    status?: unknown;
    headers?: unknown;
    response?: { headers?: unknown; status?: unknown };
  } | null;
  const status = Number(candidate?.status ?? candidate?.response?.status ?? 0) || 0;
  const headers = candidate?.response?.headers ?? candidate?.headers;
  return { status, retryAfterMs: parseRetryAfter(headerOf(headers, 'retry-after')) };
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const value = (headers as Record<string, unknown>)[name];
  return value === undefined ? undefined : String(value);
}

/** Statuses worth another try: rate limits, overload and server errors, and no response. */
export function isTransientStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 409 || status === 429 || status >= 500;
}
