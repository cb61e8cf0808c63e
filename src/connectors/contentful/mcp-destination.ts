import { canonicalJson, KeepsyncError, type SyncRecord } from '../../model/index.js';
import { RetryableError, withRetry } from '../../net/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import { importPeer, writeSettler } from '../support/index.js';
import type { McpAuth, McpToolClient } from '../support/mcp/index.js';
import {
  type ContentfulTarget,
  encodeFields,
  type LocalizedFields,
  mergeFields,
  withoutNulls,
} from './encode.js';
import { mcpDestinationSchema } from './options-schema.js';

export interface ContentfulMcpDestinationOptions {
  /** @default 'https://mcp.contentful.com/mcp' (Contentful's hosted MCP server) */
  url?: string;
  auth: McpAuth;
  space: string;
  /** @default 'master' */
  environment?: string;
  contentType: string;
  /**
   * A Symbol field of the content type that holds the record key. The MCP server's
   * `create_entry` picks the entry id itself, so the key is what finds an entry again.
   */
  keyField: string;
  /** Record field -> entry field id (in `locale`), or `{ field, locale }`. */
  fields: Readonly<Record<string, ContentfulTarget>>;
  bodyField?: string;
  /** @default 'en-US' */
  locale?: string;
  /** Publish each entry after writing it. @default false */
  publish?: boolean;
  /** Tool calls per second. @default 3 */
  requestsPerSecond?: number;
  /** @default 2 */
  concurrency?: number;
  /** @default 5 */
  retries?: number;
  /** @default 250 */
  minDelayMs?: number;
  /** Hosts OAuth discovery may lead to besides contentful.com. */
  allowHosts?: readonly string[];
  /** Plain-http loopback servers (tests only). */
  allowLoopback?: boolean;
  /** @default 'contentful-mcp' */
  name?: string;
}

interface McpEntry {
  readonly sys: {
    readonly id: string;
    readonly version?: number;
    readonly publishedVersion?: number;
  };
  readonly fields: LocalizedFields;
}

/** Keys per `search_entries` lookup (its limit is 100 entries). */
const LOOKUP_BATCH = 50;

/**
 * Mirrors records into entries through Contentful's MCP server (`search_entries`,
 * `get_entry`, `create_entry`, `update_entry`, `publish_entry`, `unpublish_entry`,
 * `delete_entry`), for spaces where only MCP access is allowed. The key lives in `keyField`:
 * lookups find entries written before a lost answer, and a create that failed after it may
 * have been applied searches for the key before it tries again. An update whose merged
 * fields equal the entry's is not sent.
 */
export function mcpDestination(options: ContentfulMcpDestinationOptions): Destination {
  checkOptions(mcpDestinationSchema, options ?? {}, 'contentful.mcpDestination');
  for (const name of ['space', 'contentType', 'keyField'] as const) {
    if (!options[name]) {
      throw new KeepsyncError('CONFIG_INVALID', `contentful.mcpDestination needs \`${name}\``);
    }
  }
  if (!options.fields || Object.keys(options.fields).length === 0) {
    throw new KeepsyncError('CONFIG_INVALID', 'contentful.mcpDestination needs `fields`');
  }
  return {
    name: options.name ?? 'contentful-mcp',
    async open(context) {
      const mcp = await importPeer(
        '@modelcontextprotocol/sdk',
        'Contentful MCP',
        () => import('../support/mcp/index.js'),
      );
      const client = await mcp.connectMcpSession(
        'contentful.mcpDestination',
        'https://mcp.contentful.com/mcp',
        options,
        context,
      );
      return createSession(options, client, mcp.McpToolError);
    },
  };
}

function createSession(
  options: ContentfulMcpDestinationOptions,
  client: McpToolClient,
  ToolError: new (...args: never[]) => Error,
): DestinationSession {
  const locale = options.locale ?? 'en-US';
  const scope = { spaceId: options.space, environmentId: options.environment ?? 'master' };
  const retries = options.retries ?? 5;
  const settle = writeSettler({ requestError: ToolError, requestErrorsNameRecord: true });

  const encode = (record: SyncRecord): LocalizedFields =>
    encodeFields(record, options.fields, locale, options.bodyField);

  async function findByKeys(keys: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const field = `fields.${options.keyField}`;
    for (let start = 0; start < keys.length; start += LOOKUP_BATCH) {
      const batch = keys.slice(start, start + LOOKUP_BATCH);
      const result = await client.call('search_entries', {
        ...scope,
        query: {
          content_type: options.contentType,
          [`${field}[in]`]: batch.join(','),
          limit: 100,
        },
      });
      for (const entry of itemsOf(result.json)) {
        const key = entry.fields[options.keyField]?.[locale];
        if (typeof key === 'string' && batch.includes(key) && !found.has(key)) {
          found.set(key, entry.sys.id);
        }
      }
    }
    return found;
  }

  async function read(id: string, key: string): Promise<McpEntry | undefined> {
    try {
      const result = await client.call('get_entry', { ...scope, entryId: id }, { record: key });
      return entryOf(result.json);
    } catch (error) {
      if (error instanceof ToolError && /not found|could not be found|404/i.test(error.message)) {
        return undefined;
      }
      throw error;
    }
  }

  /** A create that failed may have been applied: every further try looks for the key first. */
  async function create(key: string, changes: LocalizedFields): Promise<string> {
    let tried = false;
    const fields = withoutNulls({ ...changes, [options.keyField]: { [locale]: key } });
    return withRetry(
      async () => {
        if (tried) {
          const existing = (await findByKeys([key])).get(key);
          if (existing) return update(existing, key, changes);
        }
        tried = true;
        const result = await client.call(
          'create_entry',
          { ...scope, contentTypeId: options.contentType, fields },
          { record: key, retries: 0 },
        );
        const entry = entryOf(result.json);
        if (!entry) throw new RetryableError(`create_entry for record ${key} answered no entry id`);
        await maybePublish(entry, key);
        return entry.sys.id;
      },
      { retries, minDelayMs: options.minDelayMs ?? 250 },
    );
  }

  async function update(id: string, key: string, changes: LocalizedFields): Promise<string> {
    const entry = await read(id, key);
    if (!entry) return create(key, changes);
    const merged = mergeFields(entry.fields, changes);
    let current = entry;
    if (canonicalJson(merged) !== canonicalJson(entry.fields)) {
      const result = await client.call(
        'update_entry',
        { ...scope, entryId: id, fields: merged },
        { record: key },
      );
      current = entryOf(result.json) ?? { ...entry, fields: merged };
    }
    await maybePublish(current, key);
    return id;
  }

  async function maybePublish(entry: McpEntry, key: string): Promise<void> {
    if (!options.publish) return;
    const { version, publishedVersion } = entry.sys;
    if (publishedVersion !== undefined && version === publishedVersion + 1) return;
    await client.call('publish_entry', { ...scope, entryId: entry.sys.id }, { record: key });
  }

  async function remove(id: string, key: string, kind: 'archive' | 'delete'): Promise<void> {
    const entry = await read(id, key);
    if (!entry) return;
    if (entry.sys.publishedVersion !== undefined) {
      await client.call('unpublish_entry', { ...scope, entryId: id }, { record: key });
    }
    // The MCP server has no archive tool: an archive leaves the entry as an unpublished draft.
    if (kind === 'delete')
      await client.call('delete_entry', { ...scope, entryId: id }, { record: key });
  }

  async function writeOne(op: WriteOp): Promise<WriteResult> {
    switch (op.kind) {
      case 'create':
        return { status: 'ok', destId: await create(op.key, encode(op.record)) };
      case 'update':
        return { status: 'ok', destId: await update(op.destId, op.key, encode(op.record)) };
      case 'archive':
      case 'delete':
        await remove(op.destId, op.key, op.kind);
        return { status: 'ok', destId: op.destId };
    }
  }

  return {
    lookup: (keys) => findByKeys(keys),
    write: (ops) => Promise.all(ops.map((op) => settle(op, () => writeOne(op)))),
    close: () => client.close(),
  };
}

/** The entry in a tool's JSON: itself, or under `newEntry` / `updatedEntry` / `entry`. */
function entryOf(json: unknown): McpEntry | undefined {
  const value = json as Record<string, unknown> | undefined;
  const candidate = (value?.newEntry ?? value?.updatedEntry ?? value?.entry ?? value) as
    | McpEntry
    | undefined;
  return typeof candidate?.sys?.id === 'string'
    ? { ...candidate, fields: candidate.fields ?? {} }
    : undefined;
}

/** The entries of a `search_entries` answer (`{ entries: { items } }`). */
function itemsOf(json: unknown): McpEntry[] {
  const value = json as
    | { entries?: { items?: unknown[] } | unknown[]; items?: unknown[] }
    | undefined;
  const list = Array.isArray(value?.entries)
    ? value.entries
    : (value?.entries?.items ?? value?.items ?? []);
  return list.map(entryOf).filter((entry): entry is McpEntry => entry !== undefined);
}
