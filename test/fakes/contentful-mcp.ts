import { randomBytes } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorResult, FakeMcp, jsonResult, type McpFakeServer } from './mcp-server.js';

export interface FakeMcpEntry {
  readonly id: string;
  readonly contentType: string;
  fields: Record<string, Record<string, unknown>>;
  version: number;
  publishedVersion: number | undefined;
}

/**
 * Contentful's MCP server (the entry tools of @contentful/mcp-server, as hosted at
 * mcp.contentful.com/mcp): every call names `spaceId` and `environmentId`, fields are
 * per-locale objects, `create_entry` mints the id, `search_entries` returns 10 entries unless
 * `limit` (at most 100) says otherwise, failures come back as `isError` text ("Error …: …"),
 * a published entry cannot be deleted, and content types refuse entries missing a required field.
 */
export class FakeContentfulMcp {
  readonly mcp: FakeMcp;
  readonly entries = new Map<string, FakeMcpEntry>();
  readonly #tokens: Set<string>;

  constructor(options: { space: string; tokens: readonly string[]; required?: readonly string[] }) {
    this.#tokens = new Set(options.tokens);
    const required = options.required ?? [];
    this.mcp = new FakeMcp({
      name: 'contentful',
      isValidToken: (token) => this.#tokens.has(token ?? ''),
    });
    const guard = (args: Record<string, unknown>) =>
      args.spaceId === options.space && typeof args.environmentId === 'string'
        ? undefined
        : errorResult(`Error: The resource could not be found. (space ${String(args.spaceId)})`);
    const entryJson = (entry: FakeMcpEntry) => ({
      sys: {
        id: entry.id,
        type: 'Entry',
        version: entry.version,
        ...(entry.publishedVersion === undefined
          ? {}
          : { publishedVersion: entry.publishedVersion }),
        contentType: { sys: { type: 'Link', linkType: 'ContentType', id: entry.contentType } },
      },
      fields: entry.fields,
    });
    /** Runs `apply` on the named entry, or answers as the server does for a wrong space or id. */
    const withEntry =
      (
        action: string,
        apply: (entry: FakeMcpEntry, args: Record<string, unknown>) => CallToolResult,
      ) =>
      (args: Record<string, unknown>): CallToolResult => {
        const refused = guard(args);
        if (refused) return refused;
        const entry = this.entries.get(String(args.entryId));
        if (!entry) return errorResult(`Error ${action} entry: The resource could not be found.`);
        return apply(entry, args);
      };
    this.mcp
      .tool('search_entries', (args) => {
        const refused = guard(args);
        if (refused) return refused;
        const query = (args.query ?? {}) as Record<string, unknown>;
        const limit = Math.min(Number(query.limit ?? 10), 100);
        const matches = [...this.entries.values()].filter((entry) =>
          Object.entries(query).every(([name, value]) => {
            if (name === 'content_type') return entry.contentType === value;
            const match = /^fields\.(\w+)(\[in\])?$/.exec(name);
            if (!match) return true;
            const held = Object.values(entry.fields[match[1]!] ?? {});
            const wanted = match[2] ? String(value).split(',') : [String(value)];
            return held.some((item) => wanted.includes(String(item)));
          }),
        );
        return jsonResult('Entries retrieved successfully', {
          entries: { items: matches.slice(0, limit).map(entryJson), total: matches.length, limit },
        });
      })
      .tool(
        'get_entry',
        withEntry('retrieving', (entry) =>
          jsonResult('Entry retrieved successfully', entryJson(entry)),
        ),
      )
      .tool(
        'create_entry',
        (args) => {
          const refused = guard(args);
          if (refused) return refused;
          const fields = args.fields as Record<string, Record<string, unknown>>;
          const invalid = checkFields(fields, required);
          if (invalid) return errorResult(`Error creating entry: ${invalid}`);
          const entry: FakeMcpEntry = {
            id: randomBytes(11).toString('base64url'),
            contentType: String(args.contentTypeId),
            fields,
            version: 1,
            publishedVersion: undefined,
          };
          this.entries.set(entry.id, entry);
          return jsonResult('Entry created successfully', { newEntry: entryJson(entry) });
        },
        { writes: true },
      )
      .tool(
        'update_entry',
        withEntry('updating', (entry, args) => {
          // The official tool merges the given fields into the entry's.
          const fields = { ...entry.fields, ...(args.fields as FakeMcpEntry['fields']) };
          const invalid = checkFields(fields, required);
          if (invalid) return errorResult(`Error updating entry: ${invalid}`);
          entry.fields = fields;
          entry.version++;
          return jsonResult('Entry updated successfully', { updatedEntry: entryJson(entry) });
        }),
        { writes: true },
      )
      .tool(
        'publish_entry',
        withEntry('publishing', (entry) => {
          entry.publishedVersion = entry.version;
          entry.version++;
          return jsonResult('Entry published successfully', {
            status: 'published',
            entryId: entry.id,
          });
        }),
        { writes: true },
      )
      .tool(
        'unpublish_entry',
        withEntry('unpublishing', (entry) => {
          entry.publishedVersion = undefined;
          entry.version++;
          return jsonResult('Entry unpublished successfully', {
            status: 'draft',
            entryId: entry.id,
          });
        }),
        { writes: true },
      )
      .tool(
        'delete_entry',
        withEntry('deleting', (entry) => {
          if (entry.publishedVersion !== undefined) {
            return errorResult('Error deleting entry: Cannot delete published entry');
          }
          this.entries.delete(entry.id);
          return jsonResult('Entry deleted successfully', { entryId: entry.id });
        }),
        { writes: true },
      );
  }

  get url(): string {
    return this.mcp.url;
  }

  get server(): McpFakeServer {
    return this.mcp.server;
  }

  async start(): Promise<this> {
    await this.mcp.start();
    return this;
  }

  close(): Promise<void> {
    return this.mcp.close();
  }

  revokeToken(token: string): void {
    this.#tokens.delete(token);
  }
}

function checkFields(
  fields: Record<string, unknown>,
  required: readonly string[],
): string | undefined {
  for (const [name, value] of Object.entries(fields ?? {})) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return `Validation error: field ${name} must be an object keyed by locale`;
    }
  }
  const missing = required.find((name) => fields?.[name] === undefined);
  return missing ? `Validation error: field ${missing} is required` : undefined;
}
