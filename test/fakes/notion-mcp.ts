import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorResult, FakeMcp, type McpFakeServer } from './mcp-server.js';

export type FakeMcpPropertyType =
  | 'title'
  | 'text'
  | 'number'
  | 'select'
  | 'checkbox'
  | 'url'
  | 'date';

export interface FakeMcpPage {
  readonly id: string;
  readonly dataSourceId: string;
  properties: Record<string, string | number | null>;
  lastEdited: number;
}

/** Hits per `notion-search` answer. */
const SEARCH_PAGE = 10;

/**
 * Notion's hosted MCP server (mcp.notion.com/mcp) as far as a destination uses it:
 * `notion-search` ranks by meaning, so it answers near matches (the hits that share a word or
 * a prefix with the query, most recently edited first) and never promises an exact match
 * first; `notion-fetch` answers page markup with the properties as JSON inside a
 * `<properties>` tag; `notion-create-pages` mints the ids; `notion-update-page` with
 * `update_properties` merges. Property values are the tools' plain forms (`__YES__` / `__NO__`
 * checkboxes, `date:<name>:start`); a property the data source lacks, a wrong value or an
 * unknown page comes back as `isError` text.
 */
export class FakeNotionMcp {
  readonly mcp: FakeMcp;
  readonly pages = new Map<string, FakeMcpPage>();
  readonly #schemas = new Map<string, Record<string, FakeMcpPropertyType>>();
  readonly #tokens: Set<string>;
  #clock = 0;

  constructor(options: { tokens: readonly string[] }) {
    this.#tokens = new Set(options.tokens);
    this.mcp = new FakeMcp({
      name: 'notion',
      isValidToken: (token) => this.#tokens.has(token ?? ''),
    });
    this.mcp
      .tool('notion-search', (args) => this.#search(args))
      .tool('notion-fetch', (args) => this.#fetch(args))
      .tool('notion-create-pages', (args) => this.#create(args), { writes: true })
      .tool('notion-update-page', (args) => this.#update(args), { writes: true });
  }

  /** Adds a data source with its properties; returns its id. */
  createDataSource(schema: Record<string, FakeMcpPropertyType>): string {
    const id = randomUUID();
    this.#schemas.set(id, schema);
    return id;
  }

  /** A page added as a person would, outside keepsync. */
  addPage(dataSourceId: string, properties: FakeMcpPage['properties']): FakeMcpPage {
    const page = { id: randomUUID(), dataSourceId, properties, lastEdited: ++this.#clock };
    this.pages.set(page.id, page);
    return page;
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

  #search(args: Record<string, unknown>): CallToolResult {
    const query = String(args.query ?? '').trim();
    if (!query) return errorResult('Invalid arguments: query must not be empty');
    let within: string | undefined;
    if (args.data_source_url !== undefined) {
      within = /^collection:\/\/(.+)$/.exec(String(args.data_source_url))?.[1];
      if (!within || !this.#schemas.has(within)) {
        return errorResult(`Could not find data source: ${String(args.data_source_url)}`);
      }
    }
    const words = wordsOf(query);
    const scored = [...this.pages.values()]
      .filter((page) => within === undefined || page.dataSourceId === within)
      .map((page) => ({ page, score: similarity(words, wordsOf(textOf(page))) }))
      .filter((hit) => hit.score > 0)
      .sort((a, b) => b.score - a.score || b.page.lastEdited - a.page.lastEdited)
      .slice(0, SEARCH_PAGE)
      // Relevance picks the page of hits; their order is not the exact match first.
      .sort((a, b) => b.page.lastEdited - a.page.lastEdited);
    return text(
      JSON.stringify({
        results: scored.map(({ page }) => ({
          id: page.id,
          title: this.#title(page),
          url: `https://www.notion.so/${page.id.replaceAll('-', '')}`,
          type: 'page',
          highlight: textOf(page).slice(0, 80),
          timestamp: new Date(page.lastEdited * 1000).toISOString(),
        })),
        type: 'workspace_search',
      }),
    );
  }

  #fetch(args: Record<string, unknown>): CallToolResult {
    const id = String(args.id ?? '')
      .replace(/^https:\/\/www\.notion\.so\/(?:.*-)?/, '')
      .replaceAll('-', '');
    const page = [...this.pages.values()].find((item) => item.id.replaceAll('-', '') === id);
    if (!page) {
      return errorResult(
        `Could not find page with ID: ${String(args.id)}. Make sure the relevant pages and databases are shared with your integration.`,
      );
    }
    const url = `https://www.notion.so/${page.id.replaceAll('-', '')}`;
    return text(
      [
        `Here is the result of "view" for the Page with URL ${url} as of ${new Date().toISOString()}:`,
        `<page url="${url}">`,
        '<ancestor-path>',
        `<parent-data-source url="collection://${page.dataSourceId}"/>`,
        '</ancestor-path>',
        '<properties>',
        JSON.stringify(page.properties),
        '</properties>',
        '<content>',
        '</content>',
        '</page>',
      ].join('\n'),
    );
  }

  #create(args: Record<string, unknown>): CallToolResult {
    const parent = (args.parent ?? {}) as { data_source_id?: string };
    const schema = parent.data_source_id ? this.#schemas.get(parent.data_source_id) : undefined;
    if (!schema) return errorResult(`Could not find data source: ${String(parent.data_source_id)}`);
    const pages = args.pages as Array<{ properties?: Record<string, unknown> }> | undefined;
    if (!Array.isArray(pages) || pages.length === 0 || pages.length > 100) {
      return errorResult('Invalid arguments: pages must hold 1 to 100 pages');
    }
    for (const page of pages) {
      const invalid = checkProperties(page.properties ?? {}, schema);
      if (invalid) return errorResult(`Failed to create pages: ${invalid}`);
    }
    const created = pages.map((page) =>
      this.addPage(parent.data_source_id!, (page.properties ?? {}) as FakeMcpPage['properties']),
    );
    return text(
      JSON.stringify({
        pages: created.map((page) => ({
          id: page.id,
          url: `https://www.notion.so/${page.id.replaceAll('-', '')}`,
          properties: page.properties,
        })),
      }),
    );
  }

  #update(args: Record<string, unknown>): CallToolResult {
    const page = this.pages.get(String(args.page_id));
    if (!page) return errorResult(`Could not find page with ID: ${String(args.page_id)}`);
    if (args.command !== 'update_properties') {
      return errorResult(`Unsupported command in this fake: ${String(args.command)}`);
    }
    const properties = (args.properties ?? {}) as Record<string, unknown>;
    const invalid = checkProperties(properties, this.#schemas.get(page.dataSourceId)!);
    if (invalid) return errorResult(`Failed to update page: ${invalid}`);
    page.properties = { ...page.properties, ...(properties as FakeMcpPage['properties']) };
    page.lastEdited = ++this.#clock;
    return text(JSON.stringify({ page_id: page.id }));
  }

  #title(page: FakeMcpPage): string {
    const schema = this.#schemas.get(page.dataSourceId)!;
    const name = Object.keys(schema).find((key) => schema[key] === 'title');
    return name ? String(page.properties[name] ?? '') : '';
  }
}

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

function textOf(page: FakeMcpPage): string {
  return Object.values(page.properties)
    .filter((value) => typeof value === 'string' && !value.startsWith('__'))
    .join(' ');
}

function wordsOf(value: string): string[] {
  return value.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Shared words count most; a word that starts another (K-1 and K-12) is a near match. */
function similarity(query: readonly string[], words: readonly string[]): number {
  let score = 0;
  for (const wanted of query) {
    if (words.includes(wanted)) score += 2;
    else if (words.some((word) => word.startsWith(wanted) || wanted.startsWith(word))) score += 1;
  }
  return score;
}

function checkProperties(
  properties: Record<string, unknown>,
  schema: Record<string, FakeMcpPropertyType>,
): string | undefined {
  for (const [name, value] of Object.entries(properties)) {
    const date = /^date:(.+):(start|end|is_datetime)$/.exec(name);
    const type = date ? (schema[date[1]!] === 'date' ? 'date' : undefined) : schema[name];
    if (!type) return `Property "${date ? date[1] : name}" does not exist in the data source`;
    if (value === null) continue;
    const ok =
      type === 'number'
        ? typeof value === 'number'
        : type === 'checkbox'
          ? value === '__YES__' || value === '__NO__'
          : type === 'date'
            ? date![2] === 'is_datetime'
              ? value === 0 || value === 1
              : typeof value === 'string' && !Number.isNaN(Date.parse(value))
            : typeof value === 'string';
    if (!ok) return `Invalid value for property "${name}": ${JSON.stringify(value)}`;
  }
  return undefined;
}
