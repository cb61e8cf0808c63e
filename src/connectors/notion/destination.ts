import { KeepsyncError, type NeutralValue, type SyncRecord } from '../../model/index.js';
import { rateLimiterFor } from '../../net/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type SessionContext,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import { writeSettler } from '../support/index.js';
import { createNotionClient, type NotionClient } from './client.js';
import { encodeValue, type NotionPropertyType, WRITABLE_TYPES } from './encode.js';
import { DEFAULT_RECOVERY_WINDOW_MS, findCreated } from './find-created.js';
import {
  type KeyProperty,
  type KeyPropertyType,
  keyFilter,
  keyPropertyOf,
  readKey,
} from './key-property.js';
import { batches } from './markdown-blocks.js';
import { destinationSchema } from './options-schema.js';
import { pageWriter, type TrashedPagePolicy } from './page-writes.js';
import { createRequester, NotionRequestError, type Request } from './requests.js';
import { checkSchema, type PlannedProperty, propertyDefinition, schemaError } from './schema.js';
import {
  type NotionOAuthOptions,
  oauthTokens,
  registerNotionOAuth,
  staticTokens,
  type TokenSource,
} from './tokens.js';

/** An internal integration token, or a public integration's OAuth tokens kept in the store. */
export type NotionAuth = { readonly token: string } | { readonly oauth: NotionOAuthOptions };

/** A property written from a field of another name: `{ type: 'title', field: 'name' }`. */
export interface NotionPropertySpec {
  readonly type: NotionPropertyType;
  /** The record field it is written from. @default the property name */
  readonly field?: string;
}

export interface NotionDestinationOptions {
  /** The data source (a database's table, API version 2025-09-03) pages are written to. */
  dataSourceId?: string;
  /** A database whose first data source is used, when `dataSourceId` is not given. */
  databaseId?: string;
  auth: NotionAuth;
  /**
   * The properties written, by Notion property name: a type, or a type and the record field
   * it comes from. Record fields not named here are not written.
   */
  properties: Readonly<Record<string, NotionPropertyType | NotionPropertySpec>>;
  /**
   * The property holding each record's key, written on create, so a page is found again
   * after a crash or a lost link.
   * @default { name: 'keepsync key', type: 'rich_text' }
   */
  keyProperty?: string | { readonly name: string; readonly type: KeyPropertyType };
  /** Add properties the data source lacks (never changes a property's type). @default false */
  createMissingProperties?: boolean;
  /**
   * Write a record's markdown `body` as the page content: on create, and on update when it
   * differs from what the page shows (read first; an unchanged body costs reads, no writes).
   * @default true
   */
  body?: boolean;
  /**
   * A page a person moved to the trash, when its record changes: `restore` takes it out of the
   * trash and writes the change; `leave` keeps it there and writes nothing. @default 'restore'
   */
  trashedPages?: TrashedPagePolicy;
  /** Requests per second per credential; Notion allows an average of 3. @default 3 */
  requestsPerSecond?: number;
  /** Requests in flight at once per credential. @default 3 */
  concurrency?: number;
  /** Attempts of a rate-limited or failed request before the write is reported. @default 5 */
  retries?: number;
  /**
   * How long a create whose answer was lost is looked for by key before it is sent again:
   * queries see a new page only seconds after it was made. @default 10_000
   */
  recoveryWindowMs?: number;
  /** @default 'https://api.notion.com' */
  baseUrl?: string;
  /** @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of @notionhq/client (tests). */
  client?: NotionClient;
  /** @default 'notion' */
  name?: string;
}

const KEY_CHUNK = 100;

/**
 * Mirrors records into a Notion data source, one page per record. The key is kept in its own
 * property so pages are found again; the schema is checked (and optionally completed) before
 * anything is written; every request of a credential shares one limiter.
 */
export function destination(options: NotionDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'notion.destination');
  const planned = planProperties(options);
  const key = keyPropertyOf(options.keyProperty, options.properties);
  if (!options.dataSourceId && !options.databaseId) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'notion.destination needs `dataSourceId` or `databaseId`',
    );
  }
  registerOAuthOf(options);
  return {
    name: options.name ?? 'notion',
    async open(context) {
      const client =
        options.client ??
        (await createNotionClient({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs }));
      const tokens = tokenSourceFor(options.auth, client);
      const requestsPerSecond = options.requestsPerSecond ?? 3;
      const limiter = rateLimiterFor(tokens.id, {
        requestsPerSecond,
        concurrency: options.concurrency ?? 3,
      });
      const request = createRequester({
        tokens,
        limiter,
        telemetry: context.telemetry,
        signal: context.signal,
        retries: options.retries,
      });
      const dataSourceId = await resolveDataSource(options, client, request);
      await prepareSchema({ options, client, request, dataSourceId, planned, key });
      return createSession({ options, client, request, dataSourceId, planned, key, context });
    },
  };
}

/** An OAuth connection becomes known when the pipeline is defined, for a token owner elsewhere. */
export function registerOAuthOf(options: {
  auth: NotionAuth;
  client?: NotionClient | undefined;
  baseUrl?: string | undefined;
  timeoutMs?: number | undefined;
}): void {
  if (!('oauth' in options.auth)) return;
  let client: Promise<NotionClient> | undefined;
  registerNotionOAuth(options.auth.oauth, () => {
    client ??= options.client
      ? Promise.resolve(options.client)
      : createNotionClient({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs });
    return client;
  });
}

export function tokenSourceFor(auth: NotionAuth, client: NotionClient): TokenSource {
  if ('token' in auth) {
    if (!auth.token) throw new KeepsyncError('CONFIG_INVALID', 'Notion `auth.token` is empty');
    return staticTokens(auth.token);
  }
  return oauthTokens(auth.oauth, client);
}

function planProperties(options: NotionDestinationOptions): PlannedProperty[] {
  return Object.entries(options.properties ?? {}).map(([name, spec]) => {
    const type = typeof spec === 'string' ? spec : spec?.type;
    if (!WRITABLE_TYPES.includes(type)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Notion property \`${name}\`: expected a type among ${WRITABLE_TYPES.join(', ')}, got ${JSON.stringify(type)}`,
      );
    }
    return { name, type, field: (typeof spec === 'object' && spec.field) || name };
  });
}

async function resolveDataSource(
  options: NotionDestinationOptions,
  client: NotionClient,
  request: Request,
): Promise<string> {
  if (options.dataSourceId) return options.dataSourceId;
  const database = await request(`GET /v1/databases/${options.databaseId}`, (token) =>
    client.getDatabase(token, options.databaseId!),
  );
  const first = database.data_sources[0]?.id;
  if (!first) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Notion database ${options.databaseId} has no data source`,
    );
  }
  return first;
}

interface Prepared {
  readonly options: NotionDestinationOptions;
  readonly client: NotionClient;
  readonly request: Request;
  readonly dataSourceId: string;
  readonly planned: readonly PlannedProperty[];
  readonly key: KeyProperty;
}

async function prepareSchema(prepared: Prepared): Promise<void> {
  const { client, request, dataSourceId, options } = prepared;
  const schema = await request(`GET /v1/data_sources/${dataSourceId}`, (token) =>
    client.getDataSource(token, dataSourceId),
  );
  const keyAsProperty: PlannedProperty = {
    name: prepared.key.name,
    type: prepared.key.type,
    field: '(record key)',
  };
  const { missing, problems } = checkSchema(
    [...prepared.planned, keyAsProperty],
    schema.properties,
  );
  if (problems.length > 0 || (missing.length > 0 && !options.createMissingProperties)) {
    throw schemaError(dataSourceId, problems, options.createMissingProperties ? [] : missing);
  }
  if (missing.length === 0) return;
  const definitions = Object.fromEntries(
    missing.map((property) => [property.name, propertyDefinition(property, dataSourceId)]),
  );
  await request(`PATCH /v1/data_sources/${dataSourceId}`, (token) =>
    client.updateDataSource(token, dataSourceId, definitions),
  );
}

function createSession(
  prepared: Prepared & { readonly context: SessionContext },
): DestinationSession {
  const { client, request, dataSourceId, planned, key, options } = prepared;
  /** key -> page id, from lookups and creates of this session (relations resolve here). */
  const pages = new Map<string, string>();
  const settle = writeSettler({ requestError: NotionRequestError });

  async function lookup(keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    const wanted = keys.filter((candidate) => !pages.has(candidate));
    for (const chunk of batches(wanted, KEY_CHUNK)) {
      let cursor: string | undefined;
      do {
        const result = await request(`POST /v1/data_sources/${dataSourceId}/query`, (token) =>
          client.query(token, dataSourceId, {
            filter: { or: chunk.map((candidate) => keyFilter(key, candidate)) },
            // The oldest page wins when a key was ever written twice.
            sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
            start_cursor: cursor,
            page_size: 100,
          }),
        );
        for (const page of result.results) {
          const pageKey = readKey(page, key);
          if (pageKey !== undefined && !pages.has(pageKey)) pages.set(pageKey, page.id);
        }
        cursor = result.has_more ? (result.next_cursor ?? undefined) : undefined;
      } while (cursor);
    }
    for (const candidate of keys) {
      const id = pages.get(candidate);
      if (id !== undefined) found.set(candidate, id);
    }
    return found;
  }

  function properties(record: SyncRecord): Record<string, unknown> {
    const encoded: Record<string, unknown> = {};
    for (const property of planned) {
      const value = record.fields[property.field];
      if (value === undefined) continue;
      encoded[property.name] = encodeValue(property.type, value as NeutralValue, {
        key: record.key,
        field: property.field,
        property: property.name,
        resolveRelation: (related) => pages.get(related),
      });
    }
    return encoded;
  }

  const writeOne = pageWriter({
    client,
    request,
    dataSourceId,
    writeBody: options.body !== false,
    trashedPages: options.trashedPages ?? 'restore',
    properties,
    keyValue: (recordKey) => ({
      [key.name]: encodeValue(key.type, key.type === 'number' ? Number(recordKey) : recordKey, {
        key: recordKey,
        field: '(record key)',
        property: key.name,
        resolveRelation: () => undefined,
      }),
    }),
    findCreated: (recordKey) =>
      findCreated(
        async () => (await lookup([recordKey])).get(recordKey),
        options.recoveryWindowMs ?? DEFAULT_RECOVERY_WINDOW_MS,
        prepared.context.signal,
      ),
    linked: (recordKey, pageId) => {
      if (pageId === undefined) pages.delete(recordKey);
      else pages.set(recordKey, pageId);
    },
  });

  async function resolveRelations(ops: readonly WriteOp[]): Promise<void> {
    const relationFields = planned.filter((property) => property.type === 'relation');
    if (relationFields.length === 0) return;
    const keys = new Set<string>();
    for (const op of ops) {
      if (op.kind !== 'create' && op.kind !== 'update') continue;
      for (const property of relationFields) {
        const value = op.record.fields[property.field];
        for (const related of Array.isArray(value) ? value : [value]) {
          if (typeof related === 'string' || typeof related === 'number') keys.add(String(related));
        }
      }
    }
    if (keys.size > 0) await lookup([...keys]);
  }

  return {
    lookup,
    async write(ops) {
      await resolveRelations(ops);
      // Records that relate to records of this batch are written after them.
      const results = new Map<WriteOp, WriteResult>();
      const created = new Set(ops.filter((op) => op.kind === 'create').map((op) => op.key));
      const first: WriteOp[] = [];
      const second: WriteOp[] = [];
      for (const op of ops) (relatesTo(op, created) ? second : first).push(op);
      for (const wave of [first, second]) {
        await Promise.all(
          wave.map(async (op) => {
            results.set(op, await settle(op, () => writeOne(op)));
          }),
        );
      }
      return ops.map((op) => results.get(op)!);
    },
    async close() {},
  };

  /** Whether a write relates to a record created in the same batch (it must wait for it). */
  function relatesTo(op: WriteOp, created: ReadonlySet<string>): boolean {
    if (op.kind !== 'create' && op.kind !== 'update') return false;
    const related = [...(op.record.refs ?? [])];
    for (const property of planned) {
      if (property.type !== 'relation') continue;
      const value = op.record.fields[property.field];
      for (const item of Array.isArray(value) ? value : [value]) related.push(String(item));
    }
    return related.some((ref) => ref !== op.key && created.has(ref) && !pages.has(ref));
  }
}
