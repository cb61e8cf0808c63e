import {
  AuthError,
  type Cursor,
  KeepsyncError,
  type NeutralValue,
  type SyncRecord,
} from '../../model/index.js';
import { RetryableError, rateLimiterFor } from '../../net/index.js';
import { checkOptions, type ReadOptions, type Source, type SourcePage } from '../../sync/index.js';
import { isTransientStatus } from '../support/index.js';
import {
  type ContentfulDeliveryClient,
  type ContentfulSyncItem,
  createDeliveryClient,
} from './client.js';
import { type ContentfulManagementSourceOptions, managementSource } from './management-source.js';
import { sourceSchema } from './options-schema.js';

export interface ContentfulSourceOptions {
  /** 'delivery' reads published entries through the Sync API; see ContentfulManagementSourceOptions. @default 'delivery' */
  api?: 'delivery';
  /** The space id. */
  space: string;
  /** @default 'master' */
  environment?: string;
  /** A Content Delivery API token (published entries), or a Preview API token with `baseUrl`. */
  accessToken: string;
  /** Only entries of these content types become records (deletions always pass). */
  contentTypes?: readonly string[];
  /** The locale whose value each field takes; other locales are dropped. @default 'en-US' */
  locale?: string;
  /** Items per sync page (the first page's `limit`; the token keeps it). @default 500 */
  pageSize?: number;
  /** @default 'https://cdn.contentful.com' */
  baseUrl?: string;
  /** Requests per second per token; the CDN allows 55 uncached. @default 50 */
  requestsPerSecond?: number;
  /** Retries of a 429 or 5xx, done by the SDK (it waits out X-Contentful-RateLimit-Reset). @default 5 */
  retries?: number;
  /** @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of the `contentful` SDK (tests). */
  client?: ContentfulDeliveryClient;
  /** @default 'contentful' */
  name?: string;
}

/** During a pass: the page to read next. After one: where the next pass starts. */
type SyncCursor = { readonly pageToken: string } | { readonly syncToken: string };

const UNIT = 'entries';

/**
 * Reads a space's published entries through the Sync API: the first run is an `initial`
 * sync, every later one starts from the `nextSyncToken` and gets only what changed, deletions
 * included (as `DeletedEntry`, emitted as tombstones), so a no-change run is one request.
 */
export function source(
  options: ContentfulSourceOptions | ContentfulManagementSourceOptions,
): Source {
  if (options.api === 'management') return managementSource(options);
  if (options.api !== undefined && options.api !== 'delivery') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `contentful.source: \`api\` is 'delivery' or 'management', got ${JSON.stringify(options.api)}`,
    );
  }
  checkOptions(sourceSchema, options, 'contentful.source');
  if (!options.space) throw new KeepsyncError('CONFIG_INVALID', 'contentful.source needs `space`');
  if (!options.client && !options.accessToken) {
    throw new KeepsyncError('CONFIG_INVALID', 'contentful.source needs `accessToken`');
  }
  return {
    name: options.name ?? 'contentful',
    mode: 'incremental',
    units: () => [{ id: UNIT }],
    read: (unit, readOptions) => {
      if (unit !== UNIT)
        throw new KeepsyncError('CONFIG_INVALID', `contentful source has no unit ${unit}`);
      return readEntries(options, readOptions);
    },
  };
}

async function* readEntries(
  options: ContentfulSourceOptions,
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  const { telemetry } = readOptions;
  const client =
    options.client ??
    (await createDeliveryClient({
      space: options.space,
      environment: options.environment ?? 'master',
      accessToken: options.accessToken,
      baseUrl: options.baseUrl ?? 'https://cdn.contentful.com',
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.retries ?? 5,
      onRetry: (waitMs, rateLimited) => {
        telemetry.retried();
        if (rateLimited) telemetry.waitedForRateLimit(waitMs);
      },
    }));
  const limiter = rateLimiterFor(`contentful:${options.space}:${options.accessToken.slice(-6)}`, {
    requestsPerSecond: options.requestsPerSecond ?? 50,
  });
  const wanted = options.contentTypes ? new Set(options.contentTypes) : null;
  const locale = options.locale ?? 'en-US';
  const cursor = readOptions.cursor as SyncCursor | null;
  let query: Parameters<ContentfulDeliveryClient['sync']>[0] =
    cursor && 'pageToken' in cursor
      ? { nextPageToken: cursor.pageToken }
      : cursor && 'syncToken' in cursor
        ? { nextSyncToken: cursor.syncToken }
        : { initial: true, limit: options.pageSize ?? 500 };
  for (;;) {
    const page = await limiter.schedule(() => call(() => client.sync(query)), {
      signal: readOptions.signal,
    });
    const records: SyncRecord[] = [];
    for (const item of page.items) {
      const record = itemRecord(item, locale, wanted);
      if (record) records.push(record);
    }
    const wantedKeys = readOptions.keys ? new Set(readOptions.keys) : null;
    const next: SyncCursor | null = page.nextPageToken
      ? { pageToken: page.nextPageToken }
      : page.nextSyncToken
        ? { syncToken: page.nextSyncToken }
        : null;
    yield {
      records: wantedKeys ? records.filter((record) => wantedKeys.has(record.key)) : records,
      cursor: (next ?? readOptions.cursor) as Cursor,
    };
    if (!page.nextPageToken) return;
    query = { nextPageToken: page.nextPageToken };
  }
}

/** An entry as a record in one locale; a deleted entry as a tombstone; assets are skipped. */
export function itemRecord(
  item: ContentfulSyncItem,
  locale: string,
  wanted: ReadonlySet<string> | null,
): SyncRecord | null {
  if (item.sys.type === 'DeletedEntry') {
    return { key: item.sys.id, fields: {}, deleted: true };
  }
  if (item.sys.type !== 'Entry') return null;
  const contentType = item.sys.contentType?.sys.id ?? '';
  if (wanted && !wanted.has(contentType)) return null;
  const fields: Record<string, NeutralValue> = { contentType };
  for (const [name, perLocale] of Object.entries(item.fields ?? {})) {
    // Sync returns every locale; a field not translated falls back to the first one present.
    const value = locale in perLocale ? perLocale[locale] : Object.values(perLocale)[0];
    fields[name] = toNeutral(value);
  }
  return {
    key: item.sys.id,
    fields,
    ...(item.sys.updatedAt ? { updatedAt: new Date(item.sys.updatedAt) } : {}),
  };
}

/** Links (resolved or not) become `{ linkType, id }`; everything else is already JSON. */
function toNeutral(value: unknown): NeutralValue {
  if (Array.isArray(value)) return value.map(toNeutral);
  if (value && typeof value === 'object') {
    const sys = (value as { sys?: { type?: string; linkType?: string; id?: string } }).sys;
    if (sys?.type === 'Link') return { linkType: sys.linkType ?? '', id: sys.id ?? '' };
    // The SDK resolves links to entries it holds; the record keeps the link either way.
    if (sys?.id && (value as { fields?: unknown }).fields) {
      return { linkType: sys.type === 'Asset' ? 'Asset' : 'Entry', id: sys.id };
    }
    return value as NeutralValue;
  }
  return (value ?? null) as NeutralValue;
}

/** Classifies an SDK error (its message is JSON with the status) after the SDK's own retries. */
async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const status = statusOf(error);
    const detail = messageOf(error);
    if (status === 401 || status === 403) {
      throw new AuthError(`Contentful refused the access token (${status}): ${detail}`, {
        cause: error,
      });
    }
    if (isTransientStatus(status)) {
      throw new RetryableError(
        `Contentful GET /sync failed with ${status || 'no answer'}: ${detail}`,
        { cause: error },
      );
    }
    throw new KeepsyncError(
      'SYNC_FAILED',
      `Contentful GET /sync failed with ${status}: ${detail}`,
      { cause: error },
    );
  }
}

function parsed(error: unknown): { status?: number; message?: string } {
  try {
    return JSON.parse((error as Error).message) as { status?: number; message?: string };
  } catch {
    return {};
  }
}

function statusOf(error: unknown): number {
  return (
    Number(
      parsed(error).status ?? (error as { response?: { status?: number } }).response?.status ?? 0,
    ) || 0
  );
}

function messageOf(error: unknown): string {
  return parsed(error).message || (error as Error).message || String(error);
}
