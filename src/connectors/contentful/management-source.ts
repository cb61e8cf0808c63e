import { z } from 'zod';
import { type Cursor, KeepsyncError, type SyncRecord } from '../../model/index.js';
import { rateLimiterFor } from '../../net/index.js';
import {
  anyObject,
  type ConfirmOptions,
  checkOptions,
  type MissingCheck,
  optionsSchema,
  type Source,
  type SourcePage,
} from '../../sync/index.js';
import {
  type ContentfulManagementClient,
  createManagementClient,
  type ManagementEntry,
} from './management-client.js';
import { createManagementRequester, type ManagementRequester } from './management-requests.js';
import { itemRecord } from './source.js';

export interface ContentfulManagementSourceOptions {
  /** Reads through the Content Management API: drafts and unpublished changes included. */
  api: 'management';
  space: string;
  /** @default 'master' */
  environment?: string;
  /** A CMA (personal or app) token. */
  accessToken: string;
  /**
   * `incremental`: only entries whose `sys.updatedAt` moved since the last run (the CMA has no
   * feed of deleted entries, so deletes are not seen). `full`: every run lists every entry and
   * entries no longer listed are confirmed gone, then deleted downstream.
   * @default 'incremental'
   */
  mode?: 'incremental' | 'full';
  /** Only entries of these content types become records. */
  contentTypes?: readonly string[];
  /** @default 'en-US' */
  locale?: string;
  /** Entries per request, up to the CMA's 1000. @default 100 */
  pageSize?: number;
  /** @default 'https://api.contentful.com' */
  baseUrl?: string;
  /** The CMA allows 7 (Community) or 10 requests per second. @default 7 */
  requestsPerSecond?: number;
  /** @default 5 */
  retries?: number;
  /** @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of `contentful-management` (tests). */
  client?: ContentfulManagementClient;
  /** @default 'contentful' */
  name?: string;
}

const managementSourceSchema = optionsSchema<ContentfulManagementSourceOptions>({
  api: z.literal('management'),
  space: z.string().min(1),
  environment: z.string().min(1).optional(),
  accessToken: z.string().min(1),
  mode: z.enum(['incremental', 'full']).optional(),
  contentTypes: z.array(z.string().min(1)).optional(),
  locale: z.string().min(1).optional(),
  pageSize: z.number().int().min(1).max(1000).optional(),
  baseUrl: z.string().url().optional(),
  requestsPerSecond: z.number().positive().optional(),
  retries: z.number().int().min(0).optional(),
  timeoutMs: z.number().int().positive().optional(),
  client: anyObject().optional(),
  name: z.string().min(1).optional(),
});

/** What a record says of the entry's state, from its versions as the CMA returns them. */
export type EntryStatus = 'draft' | 'changed' | 'published' | 'archived';

/**
 * An entry published and not edited since is at `publishedVersion + 1` (publishing itself
 * bumps the version); any later save makes it `changed`; never published is a `draft`.
 */
export function entryStatus(sys: ManagementEntry['sys']): EntryStatus {
  if (sys.archivedVersion) return 'archived';
  if (!sys.publishedVersion) return 'draft';
  return sys.version > sys.publishedVersion + 1 ? 'changed' : 'published';
}

/**
 * Where an incremental read stands: the newest `sys.updatedAt` read (`mark`), the ids read
 * at exactly that time, and how many entries at it a listing must skip (only when more of
 * them share it than one page holds). Each request asks for `sys.updatedAt[gte]=mark`,
 * ordered by `sys.updatedAt,sys.id`, so entries sharing the mark are read again and skipped
 * by id rather than missed.
 */
interface UpdatedCursor {
  readonly mark: string | null;
  readonly ids: readonly string[];
  readonly skip: number;
}

const UNIT = 'entries';

/** `contentful.source({ api: 'management', ... })`. */
export function managementSource(options: ContentfulManagementSourceOptions): Source {
  checkOptions(managementSourceSchema, options, 'contentful.source({ api: "management" })');
  const mode = options.mode ?? 'incremental';
  return {
    name: options.name ?? 'contentful',
    mode,
    units: () => [{ id: UNIT }],
    async *read(unit, readOptions) {
      checkUnit(unit);
      const context = await connect(options, readOptions);
      if (readOptions.keys) yield* readKeys(context, readOptions.keys);
      else if (mode === 'full') yield* readFull(context, readOptions.cursor);
      else yield* readIncremental(context, readOptions.cursor);
    },
    async confirmMissing(unit, keys, confirmOptions) {
      checkUnit(unit);
      return confirmMissing(await connect(options, confirmOptions), keys);
    },
  };
}

function checkUnit(unit: string): void {
  if (unit !== UNIT) {
    throw new KeepsyncError('CONFIG_INVALID', `contentful source has no unit ${unit}`);
  }
}

interface Context {
  readonly client: ContentfulManagementClient;
  readonly request: ManagementRequester;
  readonly pageSize: number;
  readonly locale: string;
  readonly wanted: ReadonlySet<string> | null;
  readonly filter: Readonly<Record<string, string>>;
}

async function connect(
  options: ContentfulManagementSourceOptions,
  context: ConfirmOptions,
): Promise<Context> {
  const client =
    options.client ??
    (await createManagementClient({
      space: options.space,
      environment: options.environment ?? 'master',
      accessToken: options.accessToken,
      baseUrl: options.baseUrl ?? 'https://api.contentful.com',
      timeoutMs: options.timeoutMs ?? 30_000,
    }));
  const requestsPerSecond = options.requestsPerSecond ?? 7;
  const request = createManagementRequester({
    limiter: rateLimiterFor(`contentful-cma:${options.space}:${options.accessToken.slice(-6)}`, {
      requestsPerSecond,
      burst: Math.min(7, requestsPerSecond),
    }),
    retries: options.retries ?? 5,
    telemetry: context.telemetry,
    signal: context.signal,
  });
  const types = options.contentTypes;
  return {
    client,
    request,
    pageSize: options.pageSize ?? 100,
    locale: options.locale ?? 'en-US',
    wanted: types ? new Set(types) : null,
    // One content type can be filtered by the CMA; several are filtered here.
    filter: types?.length === 1 ? { content_type: types[0]! } : {},
  };
}

function toRecord(context: Context, entry: ManagementEntry): SyncRecord | null {
  const record = itemRecord(entry as never, context.locale, context.wanted);
  if (!record) return null;
  return { ...record, fields: { ...record.fields, entryStatus: entryStatus(entry.sys) } };
}

function records(context: Context, entries: readonly ManagementEntry[]): SyncRecord[] {
  return entries.flatMap((entry) => toRecord(context, entry) ?? []);
}

function list(context: Context, query: Record<string, string | number>) {
  return context.request('GET /entries', () =>
    context.client.listEntries({ ...context.filter, limit: context.pageSize, ...query }),
  );
}

async function* readIncremental(context: Context, resumed: Cursor): AsyncGenerator<SourcePage> {
  let cursor = parseCursor(resumed);
  for (;;) {
    const page = await list(context, {
      order: 'sys.updatedAt,sys.id',
      skip: cursor.skip,
      ...(cursor.mark ? { 'sys.updatedAt[gte]': cursor.mark } : {}),
    });
    const read = new Set(cursor.ids);
    const fresh = page.items.filter(
      (entry) => !(entry.sys.updatedAt === cursor.mark && read.has(entry.sys.id)),
    );
    cursor = advance(cursor, page.items, context.pageSize);
    yield { records: records(context, fresh), cursor: cursor as unknown as Cursor };
    if (page.items.length < context.pageSize) return;
  }
}

function parseCursor(cursor: Cursor): UpdatedCursor {
  if (cursor && typeof cursor === 'object' && !Array.isArray(cursor) && 'ids' in cursor) {
    return cursor as unknown as UpdatedCursor;
  }
  return { mark: null, ids: [], skip: 0 };
}

/**
 * The next request starts at the newest `updatedAt` of the page. When a full page shares
 * the mark, the next one skips past it (re-reading it would return the same page forever).
 */
function advance(
  cursor: UpdatedCursor,
  page: readonly ManagementEntry[],
  pageSize: number,
): UpdatedCursor {
  const last = page.at(-1)?.sys.updatedAt;
  if (!last) return cursor;
  const atLast = page.filter((entry) => entry.sys.updatedAt === last).map((entry) => entry.sys.id);
  // Skipping is only safe within one pass: an entry edited since leaves the group and shifts it.
  const stuck = pageSize === page.length && atLast.length === page.length;
  if (last === cursor.mark) {
    const ids = [...new Set([...cursor.ids, ...atLast])];
    return { mark: last, ids, skip: stuck ? cursor.skip + page.length : 0 };
  }
  return { mark: last, ids: atLast, skip: stuck ? page.length : 0 };
}

async function* readFull(context: Context, resumed: Cursor): AsyncGenerator<SourcePage> {
  let skip = resumed && typeof resumed === 'object' && 'skip' in resumed ? Number(resumed.skip) : 0;
  for (;;) {
    const page = await list(context, { order: 'sys.id', skip });
    skip += page.items.length;
    const more = page.items.length > 0 && skip < page.total;
    yield {
      records: records(context, page.items),
      cursor: more ? ({ skip } as Cursor) : null,
      expectedTotal: page.total,
    };
    if (!more) return;
  }
}

/** The CMA answers `sys.id[in]` with at most 1000 entries; 100 ids stay within the URI limit. */
const IDS_PER_QUERY = 100;

async function* readKeys(context: Context, keys: readonly string[]): AsyncGenerator<SourcePage> {
  for (let start = 0; start < keys.length; start += IDS_PER_QUERY) {
    const ids = keys.slice(start, start + IDS_PER_QUERY);
    const page = await list(context, { 'sys.id[in]': ids.join(','), skip: 0, limit: ids.length });
    yield { records: records(context, page.items), cursor: null };
  }
}

/** A key the CMA no longer lists by id is gone; one it lists was skipped by a shifted page. */
async function confirmMissing(context: Context, keys: readonly string[]): Promise<MissingCheck> {
  const found: SyncRecord[] = [];
  const gone: string[] = [];
  for await (const page of readKeys(context, keys)) found.push(...page.records);
  const present = new Set(found.map((record) => record.key));
  for (const key of keys) if (!present.has(key)) gone.push(key);
  return { gone, found };
}
