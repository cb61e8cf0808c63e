import {
  AuthError,
  canonicalJson,
  describeError,
  KeepsyncError,
  RecordError,
  type SyncRecord,
} from '../../model/index.js';
import { RetryableError, rateLimiterFor } from '../../net/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import { queueSignal } from '../support/index.js';
import {
  type ContentfulTarget,
  encodeFields,
  entryIdFor,
  type LocalizedFields,
  mergeFields,
  withoutNulls,
} from './encode.js';
import {
  type ContentfulHttpError,
  type ContentfulManagementClient,
  createManagementClient,
  type ManagementEntry,
} from './management-client.js';
import {
  ContentfulRequestError,
  createManagementRequester,
  type ManagementRequester,
} from './management-requests.js';
import { destinationSchema } from './options-schema.js';

export interface ContentfulDestinationOptions {
  /** The space id. */
  space: string;
  /** @default 'master' */
  environment?: string;
  /** A Content Management API token (personal access token or app token). */
  accessToken: string;
  /** The content type every entry is created with. */
  contentType: string;
  /**
   * Record field -> entry field id (written in `locale`), or `{ field, locale }` for a value of
   * another locale. Fields not named here are not written; other locales of a field are kept.
   */
  fields: Readonly<Record<string, ContentfulTarget>>;
  /** A Text field the record's body is written to. */
  bodyField?: string;
  /** The locale plain targets are written in. @default the environment's default locale */
  locale?: string;
  /** Publish each entry after writing it (otherwise it stays a draft). @default false */
  publish?: boolean;
  /** @default 'https://api.contentful.com' */
  baseUrl?: string;
  /** Requests per second per token: the CMA allows 7 (Community) or 10 (Team and up). @default 7 */
  requestsPerSecond?: number;
  /**
   * Requests that may start back to back (see RateLimiter): Contentful counts requests per
   * second, so a start a loaded machine made late is made up by the next ones. @default 7
   */
  burst?: number;
  /** Requests in flight at once, so round trips do not cap the rate. @default 4 */
  concurrency?: number;
  /** Retries of a 429, 5xx or lost answer. @default 5 */
  retries?: number;
  /** @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of `contentful-management` (tests). */
  client?: ContentfulManagementClient;
  /** @default 'contentful' */
  name?: string;
}

/** Tries of a write that meets a newer version (a person editing the same entry meanwhile). */
const VERSION_TRIES = 4;
/** Entry ids per `sys.id[in]` lookup: 64-character ids within the 7,600-character URI limit. */
const LOOKUP_BATCH = 80;

/**
 * Mirrors records into entries of one content type through `contentful-management`. Each
 * entry's id is derived from the record key, so a create is an idempotent PUT: retried after a
 * lost answer (or after the store was lost) it meets the entry, re-reads its version and
 * updates it. Every change carries `X-Contentful-Version`; a 409 re-reads and tries again.
 * Writes replace only the locales they own. Deletes unpublish first, then archive or delete.
 */
export function destination(options: ContentfulDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'contentful.destination');
  for (const name of ['space', 'contentType'] as const) {
    if (!options[name]) {
      throw new KeepsyncError('CONFIG_INVALID', `contentful.destination needs \`${name}\``);
    }
  }
  if (!options.client && !options.accessToken) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'contentful.destination needs `accessToken` (a Content Management API token)',
    );
  }
  if (!options.fields || Object.keys(options.fields).length === 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'contentful.destination needs `fields` (record field -> entry field id)',
    );
  }
  return {
    name: options.name ?? 'contentful',
    async open(context) {
      const client =
        options.client ??
        (await createManagementClient({
          space: options.space,
          environment: options.environment ?? 'master',
          accessToken: options.accessToken,
          baseUrl: options.baseUrl ?? 'https://api.contentful.com',
          timeoutMs: options.timeoutMs ?? 30_000,
        }));
      const request = createManagementRequester({
        limiter: rateLimiterFor(
          `contentful-cma:${options.space}:${(options.accessToken ?? '').slice(-6)}`,
          {
            requestsPerSecond: options.requestsPerSecond ?? 7,
            burst: options.burst ?? Math.min(7, options.requestsPerSecond ?? 7),
            concurrency: options.concurrency ?? 4,
          },
        ),
        retries: options.retries ?? 5,
        telemetry: context.telemetry,
        signal: queueSignal(context.signal),
      });
      const locale = await checkSchema(options, client, request);
      return createSession(options, client, request, locale);
    },
  };
}

/** Reads the locales and the content type once, so a wrong name fails before any write. */
async function checkSchema(
  options: ContentfulDestinationOptions,
  client: ContentfulManagementClient,
  request: ManagementRequester,
): Promise<string> {
  const locales = await request('GET /locales', () => client.locales());
  const codes = locales.map((item) => item.code);
  const locale = options.locale ?? locales.find((item) => item.default)?.code ?? 'en-US';
  const targets = Object.entries(options.fields).map(([name, target]) =>
    typeof target === 'string'
      ? { name, field: target, locale }
      : { name, field: target.field, locale: target.locale },
  );
  if (options.bodyField) targets.push({ name: 'body', field: options.bodyField, locale });
  for (const target of targets) {
    if (!codes.includes(target.locale)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Contentful environment has no locale \`${target.locale}\` (for \`${target.name}\`); it has ${codes.join(', ')}`,
      );
    }
  }
  let type: Awaited<ReturnType<ContentfulManagementClient['contentType']>>;
  try {
    type = await request(`GET /content_types/${options.contentType}`, () =>
      client.contentType(options.contentType),
    );
  } catch (error) {
    if (error instanceof ContentfulRequestError && error.status === 404) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Contentful space ${options.space} has no content type \`${options.contentType}\``,
        { cause: error },
      );
    }
    throw error;
  }
  const fieldIds = new Set(type.fields.map((field) => field.id));
  for (const target of targets) {
    if (!fieldIds.has(target.field)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Contentful content type \`${options.contentType}\` has no field \`${target.field}\` (for \`${target.name}\`); it has ${[...fieldIds].join(', ')}`,
      );
    }
  }
  return locale;
}

function createSession(
  options: ContentfulDestinationOptions,
  client: ContentfulManagementClient,
  request: ManagementRequester,
  locale: string,
): DestinationSession {
  const { contentType } = options;
  let refused: string | null = null;
  const path = (id: string, tail = '') => `PUT /entries/${id}${tail}`;

  const encode = (record: SyncRecord): LocalizedFields =>
    encodeFields(record, options.fields, locale, options.bodyField);

  async function read(id: string): Promise<ManagementEntry | undefined> {
    try {
      return await request(`GET /entries/${id}`, () => client.getEntry(id));
    } catch (error) {
      if (error instanceof ContentfulRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  async function create(id: string, changes: LocalizedFields): Promise<ManagementEntry> {
    try {
      return await request(path(id), () =>
        client.createEntry(id, contentType, withoutNulls(changes)),
      );
    } catch (error) {
      // The entry is there: an earlier attempt whose answer was lost, or a lost store.
      if (error instanceof ContentfulRequestError && error.status === 409) {
        return update(id, changes);
      }
      throw error;
    }
  }

  /** Read, merge, write at the version read; a newer version meanwhile means read again. */
  async function update(id: string, changes: LocalizedFields): Promise<ManagementEntry> {
    for (let attempt = 1; ; attempt++) {
      let entry = await read(id);
      if (!entry) return create(id, changes);
      if (entry.sys.archivedVersion) {
        entry = await request(`DELETE /entries/${id}/archived`, () => client.unarchiveEntry(id));
      }
      const merged = mergeFields(entry.fields, changes);
      if (canonicalJson(merged) === canonicalJson(entry.fields)) return entry;
      try {
        return await request(path(id), () => client.updateEntry(id, entry.sys.version, merged));
      } catch (error) {
        if (!isVersionMismatch(error) || attempt >= VERSION_TRIES) throw error;
      }
    }
  }

  async function publish(entry: ManagementEntry): Promise<void> {
    let current = entry;
    for (let attempt = 1; ; attempt++) {
      if (isPublishedCurrent(current)) return;
      try {
        await request(path(current.sys.id, '/published'), () =>
          client.publishEntry(current.sys.id, current.sys.version),
        );
        return;
      } catch (error) {
        if (!isVersionMismatch(error) || attempt >= VERSION_TRIES) throw error;
        // A lost answer to an applied publish lands here too: the re-read shows it published.
        const reread = await read(current.sys.id);
        if (!reread) throw error;
        current = reread;
      }
    }
  }

  async function remove(id: string, kind: 'archive' | 'delete'): Promise<void> {
    const entry = await read(id);
    if (!entry) return;
    if (entry.sys.publishedVersion) {
      await request(`DELETE /entries/${id}/published`, () => client.unpublishEntry(id));
    }
    try {
      if (kind === 'delete') {
        await request(`DELETE /entries/${id}`, () => client.deleteEntry(id));
      } else if (!entry.sys.archivedVersion) {
        await request(`PUT /entries/${id}/archived`, () => client.archiveEntry(id));
      }
    } catch (error) {
      // Gone already: a person deleted it, or an earlier attempt whose answer was lost.
      if (!(error instanceof ContentfulRequestError && error.status === 404)) throw error;
    }
  }

  async function writeOne(op: WriteOp): Promise<WriteResult> {
    switch (op.kind) {
      case 'create':
      case 'update': {
        const id = op.kind === 'create' ? entryIdFor(contentType, op.key) : op.destId;
        const changes = encode(op.record);
        const entry = op.kind === 'create' ? await create(id, changes) : await update(id, changes);
        if (options.publish) {
          try {
            await publish(entry);
          } catch (error) {
            if (error instanceof ContentfulRequestError) {
              return {
                status: 'rejected',
                error: `${error.message}; the entry ${id} is saved as a draft, not published (record ${op.key}${fieldHint(error)})`,
              };
            }
            throw error;
          }
        }
        return { status: 'ok', destId: id };
      }
      case 'archive':
      case 'delete':
        await remove(op.destId, op.kind);
        return { status: 'ok', destId: op.destId };
    }
  }

  function fieldHint(error: ContentfulRequestError): string {
    const details = (error.cause as ContentfulHttpError | undefined)?.details as
      | { errors?: { path?: unknown[] }[] }
      | undefined;
    const entryFields = new Set(
      (details?.errors ?? [])
        .map((entry) => (entry.path?.[0] === 'fields' ? String(entry.path[1]) : ''))
        .filter(Boolean),
    );
    const named = Object.entries(options.fields)
      .filter(([, target]) => entryFields.has(typeof target === 'string' ? target : target.field))
      .map(([name]) => name);
    if (options.bodyField && entryFields.has(options.bodyField)) named.push('body');
    return named.length > 0 ? `, field ${named.join(', ')}` : '';
  }

  return {
    createsUpsertByKey: true,
    async lookup(keys) {
      const byId = new Map(keys.map((key) => [entryIdFor(contentType, key), key]));
      const ids = [...byId.keys()];
      const found = new Map<string, string>();
      for (let start = 0; start < ids.length; start += LOOKUP_BATCH) {
        const batch = ids.slice(start, start + LOOKUP_BATCH);
        const entries = await request('GET /entries', () => client.entries(batch));
        for (const entry of entries) {
          const key = byId.get(entry.sys.id);
          if (key !== undefined) found.set(key, entry.sys.id);
        }
      }
      return found;
    },
    async write(ops) {
      return Promise.all(
        ops.map(async (op): Promise<WriteResult> => {
          if (refused !== null) return { status: 'auth', error: refused };
          try {
            return await writeOne(op);
          } catch (error) {
            if (error instanceof AuthError) {
              refused = error.message;
              return { status: 'auth', error: refused };
            }
            if (error instanceof RecordError) return { status: 'rejected', error: error.message };
            if (error instanceof ContentfulRequestError) {
              return {
                status: 'rejected',
                error: `${error.message} (record ${op.key}${fieldHint(error)})`,
              };
            }
            if (error instanceof RetryableError) {
              return {
                status: 'retryable',
                error: error.message,
                ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
              };
            }
            return { status: 'retryable', error: describeError(error) };
          }
        }),
      );
    },
    async close() {},
  };
}

function isVersionMismatch(error: unknown): boolean {
  return error instanceof ContentfulRequestError && error.status === 409;
}

/** Published, and nothing saved since: publishing bumps the version past publishedVersion by one. */
function isPublishedCurrent(entry: ManagementEntry): boolean {
  return (
    entry.sys.publishedVersion !== undefined && entry.sys.publishedVersion + 1 === entry.sys.version
  );
}
