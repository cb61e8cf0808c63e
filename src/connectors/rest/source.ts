import {
  HttpClient,
  type HttpResponse,
  nextFromLinkHeader,
  nextPageUrl,
  resourceSchema,
  snippet,
} from '../../copy/index.js';
import {
  AuthError,
  type Cursor,
  type JsonValue,
  KeepsyncError,
  type NeutralValue,
  type SyncRecord,
} from '../../model/index.js';
import {
  checkOptions,
  type ReadOptions,
  type Source,
  type SourcePage,
  type UnreadableRecord,
} from '../../sync/index.js';
import { findRecords, readPath } from './json-path.js';
import { sourceSchema } from './options-schema.js';

/** How the next page is found. */
export type RestPagination =
  /** Whatever the response offers, as `keepsync copy` reads it: a HAL/JSON `next` link, a Link header, offset or page numbers with totals. */
  | { readonly style: 'auto' }
  /** An RFC 8288 `Link: <…>; rel="next"` header. */
  | { readonly style: 'link' }
  /** A page number in `param` (from `first`), until a page has no records (or fewer than `size`). */
  | {
      readonly style: 'page';
      /** @default 'page' */
      readonly param?: string;
      /** @default 1 */
      readonly first?: number;
      /** Query parameter for the page size, sent with `size`. */
      readonly sizeParam?: string;
      readonly size?: number;
    }
  /** An opaque cursor read from the body at `next` and sent back in `param`. */
  | { readonly style: 'cursor'; readonly param: string; readonly next: string }
  | { readonly style: 'none' };

export interface RestSourceOptions {
  /**
   * The listing's URL. `{unit}` is replaced by each unit (URL-encoded), e.g.
   * `https://api.example.com/v1/projects/{unit}/tasks`.
   */
  url: string;
  /** Values of `{unit}`; each is scheduled on its own. @default one unit, `all` */
  units?: readonly string[];
  /** JSON path to the record array, e.g. `data.items`; `''` for a bare array. @default the body, `_embedded`, `items`, `data` or `results` */
  records?: string;
  /** JSON path of a record's stable id within it. @default 'id' */
  key?: string;
  /** JSON path of a record's modification time (ISO 8601 or epoch ms). */
  updated?: string;
  /**
   * Query parameter that asks for records updated at or after a time (the largest `updated`
   * of the last complete pass): runs become incremental. Needs `updated`.
   */
  updatedParam?: string;
  /** @default { style: 'auto' } */
  pagination?: RestPagination;
  /** Request headers, e.g. `{ Authorization: 'Bearer …' }` (never logged). */
  headers?: Readonly<Record<string, string>>;
  /** @default unlimited */
  requestsPerSecond?: number;
  /** @default 4 */
  concurrency?: number;
  /** Retries of 429 (after Retry-After), 5xx and connection errors. @default 5 */
  retries?: number;
  /** @default 250 */
  retryMinDelayMs?: number;
  /** @default 'rest' */
  name?: string;
}

/** During a pass: the next page and the newest `updated` so far. After one: where the next starts. */
interface RestCursor {
  readonly next?: string;
  readonly since?: string;
  readonly newest?: string;
}

/**
 * Reads records from a JSON or HAL API that has no connector of its own, through the HTTP
 * client `keepsync copy` uses (src/copy, on src/net: limiter, retry, Retry-After). Each page's
 * cursor is the next page's URL, so a crash resumes there; with `updated` + `updatedParam` a
 * later run asks only for what changed since the newest record of the last complete pass
 * (inclusive, so records sharing that instant are read again, and skipped as unchanged).
 */
export function source(options: RestSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'rest.source');
  let template: URL;
  try {
    template = new URL(options.url.replaceAll('{unit}', 'unit'));
  } catch {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected rest.source \`url\` to be a URL, got \`${options.url}\``,
    );
  }
  if (template.protocol !== 'http:' && template.protocol !== 'https:') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected rest.source \`url\` to be http(s), got \`${options.url}\``,
    );
  }
  if (options.updatedParam && !options.updated) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'rest.source `updatedParam` needs `updated` (the JSON path of the modification time)',
    );
  }
  const units = options.units ?? ['all'];
  return {
    name: options.name ?? 'rest',
    mode: options.updatedParam ? 'incremental' : 'full',
    units: () => units.map((id) => ({ id })),
    read: (unit, readOptions) => {
      if (!units.includes(unit)) {
        throw new KeepsyncError('CONFIG_INVALID', `rest source has no unit ${unit}`);
      }
      return readUnit(options, unit, readOptions);
    },
  };
}

async function* readUnit(
  options: RestSourceOptions,
  unit: string,
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  const { telemetry } = readOptions;
  const client = new HttpClient({
    headers: options.headers,
    concurrency: options.concurrency ?? 4,
    requestsPerSecond: options.requestsPerSecond,
    retry: { retries: options.retries ?? 5, minDelayMs: options.retryMinDelayMs ?? 250 },
    signal: readOptions.signal,
    onRetry: ({ retryAfterMs }) => {
      telemetry.retried();
      if (retryAfterMs) telemetry.waitedForRateLimit(retryAfterMs);
    },
  });
  const pagination = options.pagination ?? { style: 'auto' };
  const cursor = (readOptions.cursor ?? {}) as RestCursor;
  const since = cursor.since;
  let url = cursor.next ?? firstUrl(options, unit, pagination, since);
  let newest = cursor.newest ?? since;
  for (;;) {
    const response = await client.request('GET', url, {
      accept: 'application/hal+json, application/json',
    });
    const body = parseBody(response, url);
    const items =
      options.records === undefined ? findRecords(body) : readPath(body, options.records);
    if (!Array.isArray(items)) {
      throw new KeepsyncError(
        'SYNC_FAILED',
        `REST GET ${url}: no record array at ${options.records === undefined ? 'the body, _embedded, items, data or results' : `\`${options.records}\``}`,
      );
    }
    const records: SyncRecord[] = [];
    const unreadable: UnreadableRecord[] = [];
    for (const [index, item] of items.entries()) {
      const read = toRecord(item, options, `${url} item ${index}`);
      if ('error' in read) unreadable.push(read);
      else {
        records.push(read.record);
        if (read.updated && (!newest || Date.parse(read.updated) > Date.parse(newest))) {
          newest = read.updated;
        }
      }
    }
    const next = nextUrl(pagination, body, url, items.length, response);
    const after: RestCursor = next
      ? { next, ...(since ? { since } : {}), ...(newest ? { newest } : {}) }
      : { ...(newest ? { since: newest } : {}) };
    yield {
      records,
      ...(unreadable.length > 0 ? { unreadable } : {}),
      cursor: (options.updatedParam || next ? after : null) as Cursor,
    };
    if (!next) return;
    url = next;
  }
}

function firstUrl(
  options: RestSourceOptions,
  unit: string,
  pagination: RestPagination,
  since: string | undefined,
): string {
  const url = new URL(options.url.replaceAll('{unit}', encodeURIComponent(unit)));
  if (pagination.style === 'page') {
    url.searchParams.set(pagination.param ?? 'page', String(pagination.first ?? 1));
    if (pagination.sizeParam && pagination.size) {
      url.searchParams.set(pagination.sizeParam, String(pagination.size));
    }
  }
  if (options.updatedParam && since) url.searchParams.set(options.updatedParam, since);
  return url.href;
}

function nextUrl(
  pagination: RestPagination,
  body: JsonValue,
  url: string,
  count: number,
  response: HttpResponse,
): string | undefined {
  switch (pagination.style) {
    case 'none':
      return undefined;
    case 'link': {
      const header = response.headers.get('link');
      const next = header ? nextFromLinkHeader(header) : undefined;
      return next ? new URL(next, url).href : undefined;
    }
    case 'page': {
      if (count === 0 || (pagination.size !== undefined && count < pagination.size))
        return undefined;
      const next = new URL(url);
      const param = pagination.param ?? 'page';
      next.searchParams.set(
        param,
        String(Number(next.searchParams.get(param) ?? pagination.first ?? 1) + 1),
      );
      return next.href;
    }
    case 'cursor': {
      const token = readPath(body, pagination.next);
      if (token === undefined || token === null || token === '' || token === false)
        return undefined;
      const next = new URL(url);
      next.searchParams.set(pagination.param, String(token));
      return next.href;
    }
    case 'auto': {
      const document = body && typeof body === 'object' && !Array.isArray(body) ? body : null;
      const schema = resourceSchema(document && '_links' in document ? 'hal' : 'simple');
      return nextPageUrl(document as never, url, count, response.headers.get('link'), schema);
    }
  }
}

function parseBody(response: HttpResponse, url: string): JsonValue {
  if (response.status === 401 || response.status === 403) {
    throw new AuthError(
      `REST GET ${url} was refused (${response.status})${snippet(response.text)}`,
    );
  }
  if (response.status >= 400) {
    throw new KeepsyncError(
      'SYNC_FAILED',
      `REST GET ${url} answered ${response.status}${snippet(response.text)}`,
    );
  }
  try {
    return JSON.parse(response.text) as JsonValue;
  } catch {
    throw new KeepsyncError(
      'SYNC_FAILED',
      `REST GET ${url} did not answer JSON${snippet(response.text)}`,
    );
  }
}

function toRecord(
  item: JsonValue,
  options: RestSourceOptions,
  where: string,
): { record: SyncRecord; updated: string | undefined } | UnreadableRecord {
  const keyPath = options.key ?? 'id';
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    return {
      key: where,
      error: `${where}: expected an object, got ${JSON.stringify(item)?.slice(0, 80)}`,
    };
  }
  const key = readPath(item, keyPath);
  if (typeof key !== 'string' && typeof key !== 'number') {
    return { key: where, error: `${where}: no key at \`${keyPath}\`` };
  }
  let updated: string | undefined;
  let updatedAt: Date | undefined;
  if (options.updated) {
    const raw = readPath(item, options.updated);
    const date =
      typeof raw === 'number' ? new Date(raw) : typeof raw === 'string' ? new Date(raw) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      return {
        key: String(key),
        error: `${where}: no time at \`${options.updated}\` (got ${JSON.stringify(raw)})`,
      };
    }
    updatedAt = date;
    // The service's own spelling goes back into the query; it compares it in its own terms.
    updated = typeof raw === 'string' ? raw : date.toISOString();
  }
  return {
    record: {
      key: String(key),
      fields: item as Readonly<Record<string, NeutralValue>>,
      ...(updatedAt ? { updatedAt } : {}),
    },
    updated,
  };
}
