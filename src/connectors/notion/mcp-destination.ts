import { KeepsyncError, RecordError, type SyncRecord } from '../../model/index.js';
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
  changedProperties,
  encodeMcpProperties,
  fetchedProperties,
  type McpPageProperties,
  type NotionMcpPropertyMap,
  resolveMcpProperties,
} from './mcp-values.js';
import { mcpDestinationSchema } from './options-schema.js';

export interface NotionMcpDestinationOptions {
  /** @default 'https://mcp.notion.com/mcp' (Notion's hosted MCP server) */
  url?: string;
  auth: McpAuth;
  /** The data source (collection) pages are created in. */
  dataSourceId: string;
  /**
   * A text property that holds the record key. Notion's MCP server picks page ids itself and
   * its search is semantic, so this property, read back exactly, is what finds a page again.
   */
  keyProperty: string;
  /** Record field -> property name (a text property) or `{ name, type }`. */
  properties: NotionMcpPropertyMap;
  /**
   * A checkbox property set on archive and delete (and cleared on every other write): the MCP
   * tools cannot move a page to the trash. Without it archives and deletes are rejected.
   */
  archiveProperty?: string;
  /** Tool calls per second (Notion's MCP allows 180 a minute). @default 3 */
  requestsPerSecond?: number;
  /** @default 2 */
  concurrency?: number;
  /** @default 5 */
  retries?: number;
  /** @default 250 */
  minDelayMs?: number;
  /** Search hits read back per key lookup; search ranks by meaning, not by the exact key. @default 10 */
  lookupCandidates?: number;
  /** Hosts OAuth discovery may lead to besides notion.com. */
  allowHosts?: readonly string[];
  /** Plain-http loopback servers (tests only). */
  allowLoopback?: boolean;
  /** @default 'notion-mcp' */
  name?: string;
}

/**
 * Mirrors records into pages of a data source through Notion's hosted MCP server
 * (`notion-search`, `notion-fetch`, `notion-create-pages`, `notion-update-page`). Every key
 * lookup reads each search hit back with `notion-fetch` and keeps only a page whose key
 * property equals the key, so a near match is never taken for the record. A create whose
 * answer was lost looks the key up the same way before it tries again, and an update whose
 * properties equal the page's is not sent.
 */
export function mcpDestination(options: NotionMcpDestinationOptions): Destination {
  checkOptions(mcpDestinationSchema, options ?? {}, 'notion.mcpDestination');
  for (const name of ['dataSourceId', 'keyProperty'] as const) {
    if (!options[name]) {
      throw new KeepsyncError('CONFIG_INVALID', `notion.mcpDestination needs \`${name}\``);
    }
  }
  if (!options.properties || Object.keys(options.properties).length === 0) {
    throw new KeepsyncError('CONFIG_INVALID', 'notion.mcpDestination needs `properties`');
  }
  const properties = resolveMcpProperties(options.properties, options.keyProperty);
  return {
    name: options.name ?? 'notion-mcp',
    async open(context) {
      const mcp = await importPeer(
        '@modelcontextprotocol/sdk',
        'Notion MCP',
        () => import('../support/mcp/index.js'),
      );
      const client = await mcp.connectMcpSession(
        'notion.mcpDestination',
        'https://mcp.notion.com/mcp',
        options,
        context,
      );
      return createSession(
        options,
        (record) => encodeMcpProperties(record, properties),
        client,
        mcp.McpToolError,
      );
    },
  };
}

interface FetchedPage {
  readonly id: string;
  readonly properties: Record<string, unknown>;
}

function createSession(
  options: NotionMcpDestinationOptions,
  encode: (record: SyncRecord) => McpPageProperties,
  client: McpToolClient,
  ToolError: new (...args: never[]) => Error,
): DestinationSession {
  const retries = options.retries ?? 5;
  const candidates = options.lookupCandidates ?? 10;
  const restore: McpPageProperties = options.archiveProperty
    ? { [options.archiveProperty]: '__NO__' }
    : {};
  /** Pages read by a lookup, handed to the write that follows so it does not read them again. */
  const readAhead = new Map<string, FetchedPage>();
  const settle = writeSettler({ requestError: ToolError, requestErrorsNameRecord: true });

  async function fetchPage(id: string, key: string): Promise<FetchedPage | undefined> {
    try {
      const result = await client.call('notion-fetch', { id }, { record: key });
      const properties = fetchedProperties(result.text);
      if (!properties) {
        throw new RetryableError(`notion-fetch for record ${key} answered no <properties>`);
      }
      return { id, properties };
    } catch (error) {
      if (
        error instanceof ToolError &&
        /not found|could not find|object_not_found/i.test(error.message)
      ) {
        return undefined;
      }
      throw error;
    }
  }

  /** Search ranks by meaning: every hit is read back and only an exact key match counts. */
  async function findByKey(key: string): Promise<FetchedPage | undefined> {
    const result = await client.call(
      'notion-search',
      {
        query: key,
        query_type: 'internal',
        data_source_url: `collection://${options.dataSourceId}`,
      },
      { record: key },
    );
    for (const id of hitIds(result.json).slice(0, candidates)) {
      const page = await fetchPage(id, key);
      if (page && String(page.properties[options.keyProperty] ?? '') === key) return page;
    }
    return undefined;
  }

  /** A create that failed may have been applied: every further try looks for the key first. */
  async function create(key: string, changes: McpPageProperties): Promise<string> {
    let tried = false;
    const values = { ...changes, ...restore, [options.keyProperty]: key };
    return withRetry(
      async () => {
        if (tried) {
          const existing = await findByKey(key);
          if (existing) return update(existing.id, key, changes, existing);
        }
        tried = true;
        const result = await client
          .call(
            'notion-create-pages',
            {
              parent: { data_source_id: options.dataSourceId },
              pages: [{ properties: values }],
            },
            { record: key, retries: 0 },
          )
          .catch((error: unknown) => {
            // A 429 is refused before the tool runs: nothing to look for on the next try.
            if (error instanceof RetryableError && error.status === 429) {
              tried = false;
            }
            throw error;
          });
        const id = createdId(result.json);
        if (!id)
          throw new RetryableError(`notion-create-pages for record ${key} answered no page id`);
        return id;
      },
      { retries, minDelayMs: options.minDelayMs ?? 250 },
    );
  }

  async function update(
    id: string,
    key: string,
    changes: McpPageProperties,
    known?: FetchedPage,
  ): Promise<string> {
    const page = known ?? takeReadAhead(id) ?? (await fetchPage(id, key));
    if (!page) return create(key, changes);
    const changed = changedProperties({ ...changes, ...restore }, page.properties);
    if (Object.keys(changed).length > 0) {
      await client.call(
        'notion-update-page',
        { page_id: id, command: 'update_properties', properties: changed },
        { record: key },
      );
    }
    return id;
  }

  async function archive(id: string, key: string): Promise<void> {
    if (!options.archiveProperty) {
      throw new RecordError(
        `record ${key}: Notion's MCP tools cannot trash a page; set \`archiveProperty\` (a checkbox) to mark archived and deleted records`,
        { key },
      );
    }
    const page = takeReadAhead(id) ?? (await fetchPage(id, key));
    if (!page || page.properties[options.archiveProperty] === '__YES__') return;
    await client.call(
      'notion-update-page',
      {
        page_id: id,
        command: 'update_properties',
        properties: { [options.archiveProperty]: '__YES__' },
      },
      { record: key },
    );
  }

  function takeReadAhead(id: string): FetchedPage | undefined {
    const page = readAhead.get(id);
    readAhead.delete(id);
    return page;
  }

  async function writeOne(op: WriteOp): Promise<WriteResult> {
    switch (op.kind) {
      case 'create':
        return { status: 'ok', destId: await create(op.key, encode(op.record)) };
      case 'update':
        return { status: 'ok', destId: await update(op.destId, op.key, encode(op.record)) };
      case 'archive':
      case 'delete':
        await archive(op.destId, op.key);
        return { status: 'ok', destId: op.destId };
    }
  }

  return {
    async lookup(keys) {
      const found = new Map<string, string>();
      await Promise.all(
        keys.map(async (key) => {
          const page = await findByKey(key);
          if (!page) return;
          found.set(key, page.id);
          readAhead.set(page.id, page);
        }),
      );
      return found;
    },
    write: (ops) => Promise.all(ops.map((op) => settle(op, () => writeOne(op)))),
    close: () => client.close(),
  };
}

/** Page ids among `notion-search` hits (`{ results: [{ id, type }] }`). */
function hitIds(json: unknown): string[] {
  const results = (json as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results)) return [];
  return results
    .filter((hit): hit is { id: string; type?: string } => typeof hit?.id === 'string')
    .filter((hit) => hit.type === undefined || hit.type === 'page')
    .map((hit) => hit.id);
}

/** The page id of a one-page `notion-create-pages` answer (`{ pages: [{ id }] }`). */
function createdId(json: unknown): string | undefined {
  const pages = (json as { pages?: unknown } | undefined)?.pages;
  const id = Array.isArray(pages) ? (pages[0] as { id?: unknown } | undefined)?.id : undefined;
  return typeof id === 'string' ? id : undefined;
}
