import {
  type Cursor,
  KeepsyncError,
  type NeutralValue,
  type SyncRecord,
} from '../../model/index.js';
import { rateLimiterFor } from '../../net/index.js';
import {
  type ConfirmOptions,
  checkOptions,
  type MissingCheck,
  type ReadOptions,
  type Source,
  type SourcePage,
} from '../../sync/index.js';
import { createNotionClient, type NotionClient, type NotionPage } from './client.js';
import type { NotionAuth } from './destination.js';
import { registerOAuthOf, tokenSourceFor } from './destination.js';
import { sourceSchema } from './options-schema.js';
import { withAllReferences } from './references.js';
import { createRequester, NotionRequestError, type Request } from './requests.js';
import { queryEdited } from './windows.js';

export interface NotionSourceOptions {
  /** Data sources to read, each its own unit `ds:<id>`. */
  dataSourceIds?: readonly string[];
  /**
   * Databases to read, each its own unit `db:<id>`: the database's data source is looked up at
   * each run (a database holding several data sources is refused: name them in `dataSourceIds`).
   */
  databaseIds?: readonly string[];
  auth: NotionAuth;
  /**
   * A property whose value is the record key (e.g. the key property a keepsync destination
   * wrote). Without it the key is the page id.
   */
  keyProperty?: string;
  /** Requests per second per credential. @default 3 */
  requestsPerSecond?: number;
  /** @default 100 (Notion's maximum) */
  pageSize?: number;
  /** @default 'https://api.notion.com' */
  baseUrl?: string;
  /** @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of @notionhq/client (tests). */
  client?: import('./client.js').NotionClient;
  /** @default 'notion' */
  name?: string;
}

/**
 * Reads the pages of Notion data sources as records, oldest edit first. The cursor is the
 * last `last_edited_time` read: Notion keeps it to the minute, so the next run reads from
 * that minute again (a few pages re-read, whose unchanged hashes cost no writes) rather than
 * risk missing a page edited twice in one minute.
 */
export function source(options: NotionSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'notion.source');
  const dataSourceIds = options.dataSourceIds ?? [];
  const databaseIds = options.databaseIds ?? [];
  if (dataSourceIds.length + databaseIds.length === 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'notion.source needs `dataSourceIds` or `databaseIds`',
    );
  }
  registerOAuthOf(options);
  return {
    name: options.name ?? 'notion',
    mode: 'incremental',
    units: () => [
      ...dataSourceIds.map((id) => ({ id: `ds:${id}` })),
      ...databaseIds.map((id) => ({ id: `db:${id}` })),
    ],
    read: (unit, readOptions) => readUnit(options, unit, readOptions),
    confirmMissing: (unit, keys, confirmOptions) =>
      confirmMissing(options, unit, keys, confirmOptions),
  };
}

interface Connected {
  readonly dataSourceId: string;
  readonly client: NotionClient;
  readonly request: Request;
}

async function connect(
  options: NotionSourceOptions,
  unit: string,
  context: ConfirmOptions,
): Promise<Connected> {
  const named = unit.startsWith('ds:') || unit.startsWith('db:') ? unit.slice(3) : '';
  const known = unit.startsWith('ds:') ? options.dataSourceIds : options.databaseIds;
  if (!known?.includes(named)) {
    throw new KeepsyncError('CONFIG_INVALID', `notion source has no unit ${unit}`);
  }
  const client =
    options.client ??
    (await createNotionClient({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs }));
  const tokens = tokenSourceFor(options.auth, client);
  const requestsPerSecond = options.requestsPerSecond ?? 3;
  const request = createRequester({
    tokens,
    limiter: rateLimiterFor(tokens.id, { requestsPerSecond }),
    telemetry: context.telemetry,
    signal: context.signal,
  });
  const dataSourceId = unit.startsWith('db:') ? await dataSourceOf(named, client, request) : named;
  return { dataSourceId, client, request };
}

/** The one data source of a database (since Notion-Version 2025-09-03 a database holds many). */
async function dataSourceOf(
  databaseId: string,
  client: NotionClient,
  request: Request,
): Promise<string> {
  const database = await request(`GET /v1/databases/${databaseId}`, (token) =>
    client.getDatabase(token, databaseId),
  );
  const ids = database.data_sources.map((dataSource) => dataSource.id);
  if (ids.length === 1) return ids[0]!;
  throw new KeepsyncError(
    'CONFIG_INVALID',
    ids.length === 0
      ? `Notion database ${databaseId} has no data source`
      : `Notion database ${databaseId} holds ${ids.length} data sources (${ids.join(', ')}); name the ones to read in \`dataSourceIds\``,
  );
}

/** Compound filters hold at most 100 conditions. */
const KEYS_PER_QUERY = 100;

/**
 * Keyed on page ids, each key is retrieved: gone when Notion answers 404, when the page is
 * in the trash, or when it moved to another data source. Keyed on a property, the data
 * source is queried for those values: a key no page holds is gone.
 */
async function confirmMissing(
  options: NotionSourceOptions,
  unit: string,
  keys: readonly string[],
  context: ConfirmOptions,
): Promise<MissingCheck> {
  const connected = await connect(options, unit, context);
  const found = (
    options.keyProperty
      ? await queryByKey(connected, options.keyProperty, keys)
      : await retrievePages(connected, keys)
  ).filter((record) => !record.deleted);
  const present = new Set(found.map((record) => record.key));
  return { gone: keys.filter((key) => !present.has(key)), found };
}

async function retrievePages(
  { dataSourceId, client, request }: Connected,
  keys: readonly string[],
): Promise<SyncRecord[]> {
  const records: SyncRecord[] = [];
  for (const key of keys) {
    try {
      const page = await request(`GET /v1/pages/${key}`, (token) => client.getPage(token, key));
      const parent = page.parent?.data_source_id;
      if (parent === undefined || parent === dataSourceId)
        records.push(pageRecord(await withAllReferences(page, client, request), undefined));
    } catch (error) {
      if (error instanceof NotionRequestError && error.status === 404) continue;
      throw error;
    }
  }
  return records;
}

async function queryByKey(
  { dataSourceId, client, request }: Connected,
  keyProperty: string,
  keys: readonly string[],
): Promise<SyncRecord[]> {
  const schema = await request(`GET /v1/data_sources/${dataSourceId}`, (token) =>
    client.getDataSource(token, dataSourceId),
  );
  const type = schema.properties[keyProperty]?.type;
  if (type !== 'title' && type !== 'rich_text' && type !== 'number') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Notion data source ${dataSourceId}: key property ${keyProperty} should be a title, text or number property, not ${type ?? 'missing'}`,
    );
  }
  const wanted = new Set(keys);
  const records: SyncRecord[] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
    const conditions = keys
      .slice(start, start + KEYS_PER_QUERY)
      .map((key) =>
        type === 'number'
          ? { property: keyProperty, number: { equals: Number(key) } }
          : { property: keyProperty, [type]: { equals: key } },
      );
    let cursor: string | undefined;
    do {
      const result = await request(`POST /v1/data_sources/${dataSourceId}/query`, (token) =>
        client.query(token, dataSourceId, {
          filter: { or: conditions },
          start_cursor: cursor,
          page_size: 100,
        }),
      );
      for (const page of result.results) {
        const record = pageRecord(page, keyProperty);
        if (wanted.has(record.key))
          records.push(pageRecord(await withAllReferences(page, client, request), keyProperty));
      }
      cursor = result.has_more ? (result.next_cursor ?? undefined) : undefined;
    } while (cursor);
  }
  return records;
}

/**
 * Pages edited since the cursor, then pages moved to the trash since the cursor (as deleted
 * records): a query leaves trashed pages out unless asked for them alone. Each pass keeps its
 * own position, so an edit made while the other pass runs is not skipped.
 */
async function* readUnit(
  options: NotionSourceOptions,
  unit: string,
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  const { dataSourceId, client, request } = await connect(options, unit, readOptions);
  const start = positionOf(readOptions.cursor);
  const position = { ...start };
  const cursor = (): Cursor =>
    position.since === null && position.trashedSince === null
      ? null
      : ({
          since: position.since ?? EPOCH,
          trashedSince: position.trashedSince ?? position.since,
        } as Cursor);
  for (const inTrash of [false, true]) {
    const results = queryEdited({
      dataSourceId,
      client,
      request,
      pageSize: options.pageSize ?? 100,
      since: inTrash ? start.trashedSince : start.since,
      inTrash,
    });
    for await (const pages of results) {
      const records: SyncRecord[] = [];
      for (const page of pages)
        records.push(
          pageRecord(await withAllReferences(page, client, request), options.keyProperty),
        );
      for (const page of pages) {
        const field = inTrash ? 'trashedSince' : 'since';
        const seen = position[field];
        if (!seen || page.last_edited_time > seen) position[field] = page.last_edited_time;
      }
      yield { records, cursor: cursor() };
    }
  }
}

/** A position before every edit: nothing live was seen yet. */
const EPOCH = '1970-01-01T00:00:00.000Z';

interface Position {
  since: string | null;
  trashedSince: string | null;
}

/** The cursor's positions; a cursor from before the trash pass reads the trash from `since`. */
function positionOf(cursor: Cursor): Position {
  if (cursor && typeof cursor === 'object' && !Array.isArray(cursor)) {
    const { since, trashedSince } = cursor as { since?: unknown; trashedSince?: unknown };
    if (typeof since === 'string') {
      return { since, trashedSince: typeof trashedSince === 'string' ? trashedSince : since };
    }
  }
  return { since: null, trashedSince: null };
}

/** A page as a record: property values decoded to neutral values. */
function pageRecord(page: NotionPage, keyProperty: string | undefined): SyncRecord {
  const fields: Record<string, NeutralValue> = {};
  for (const [name, property] of Object.entries(page.properties)) {
    const value = decodeValue(property);
    if (value !== undefined) fields[name] = value;
  }
  const key = keyProperty ? fields[keyProperty] : page.id;
  return {
    key: typeof key === 'string' || typeof key === 'number' ? String(key) : '',
    fields,
    updatedAt: new Date(page.last_edited_time),
    deleted: page.in_trash === true || undefined,
  };
}

function decodeValue(property: Readonly<Record<string, unknown>>): NeutralValue | undefined {
  const type = property.type as string;
  const value = property[type];
  switch (type) {
    case 'title':
    case 'rich_text':
      return (value as Array<{ plain_text: string }>).map((part) => part.plain_text).join('');
    case 'number':
    case 'checkbox':
    case 'url':
    case 'email':
    case 'phone_number':
      return value as NeutralValue;
    case 'select':
    case 'status':
      return (value as { name: string } | null)?.name ?? null;
    case 'multi_select':
      return (value as Array<{ name: string }>).map((option) => option.name);
    case 'date': {
      const start = (value as { start: string } | null)?.start;
      if (!start) return null;
      return /^\d{4}-\d{2}-\d{2}$/.test(start) ? start : new Date(start);
    }
    case 'relation':
    case 'people':
      return (value as Array<{ id: string }>).map((referenced) => referenced.id);
    case 'created_time':
    case 'last_edited_time':
      return new Date(value as string);
    default:
      return undefined;
  }
}
