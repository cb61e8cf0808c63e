import { randomUUID } from 'node:crypto';
import { type FakeRequest, type FakeResponse, FakeServer, type RateLimit } from './fake-server.js';
import { blocksProblem, payloadProblem, versionProblem } from './notion-limits.js';
import { FakeNotionOAuth } from './notion-oauth.js';
import { propertyItems } from './notion-properties.js';
import {
  BOT_USER,
  emptyValue,
  type Filter,
  matches,
  pageJson,
  plainValue,
  storedBlock,
  textPart,
  validateValues,
  withConfig,
} from './notion-values.js';

/** A property of a data source's schema, as `GET /v1/data_sources/{id}` returns it. */
export interface FakeProperty {
  id: string;
  name: string;
  type: string;
  [config: string]: unknown;
}

export interface FakePage {
  object: 'page';
  id: string;
  created_time: string;
  last_edited_time: string;
  in_trash: boolean;
  archived: boolean;
  parent: { type: 'data_source_id'; data_source_id: string; database_id: string };
  properties: Record<string, Record<string, unknown>>;
  url: string;
  /** The page body, as stored blocks. */
  children: Array<Record<string, unknown>>;
}

interface DataSource {
  id: string;
  databaseId: string;
  title: string;
  properties: Record<string, FakeProperty>;
}

export interface FakeNotionOptions {
  /** Internal integration tokens that authenticate. @default ['secret_test'] */
  tokens?: readonly string[];
  /** Notion's documented average is 3 requests/s; tests use higher limits. */
  rateLimit?: RateLimit;
  /** A public integration's OAuth client, for `POST /v1/oauth/token`. */
  oauthClient?: { clientId: string; clientSecret: string };
  /** Rows one data source query returns at most (Notion: 10,000); tests scale it down. */
  queryResultLimit?: number;
}

const MAX_PAGE_SIZE = 100;

/** The code and message Notion documents for a server-side status (injected faults). */
const SERVER_ERRORS: Record<number, { code: string; message: string }> = {
  409: {
    code: 'conflict_error',
    message:
      'Conflict occurred while saving. Please try again. The transaction could not be completed, potentially due to a data collision.',
  },
  500: { code: 'internal_server_error', message: 'Unexpected error occurred.' },
  503: {
    code: 'service_unavailable',
    message: 'Notion is unavailable, try again later. The response took longer than 60 seconds.',
  },
  504: { code: 'gateway_timeout', message: 'Notion timed out while completing this request.' },
  529: { code: 'service_overload', message: 'Notion is overloaded, try again later.' },
};

/** Notion's error body: `{ object: 'error', status, code, message, request_id }`. */
function notionError(status: number, code: string, message: string): unknown {
  const server = code === 'internal_server_error' ? SERVER_ERRORS[status] : undefined;
  const known = status === 401 ? 'unauthorized' : status === 404 ? 'object_not_found' : code;
  return {
    object: 'error',
    status,
    code: server?.code ?? known,
    message: server?.message ?? message,
    request_id: randomUUID(),
  };
}

/** When the fake's databases and data sources were made. */
const CREATED = '2026-01-01T00:00:00.000Z';

const ARCHIVED = "Can't edit block that is archived. You must unarchive the block before editing.";

function restricted(): FakeResponse {
  return fail(
    403,
    'restricted_resource',
    "Given the bearer token used, the client doesn't have permission to perform this operation.",
  );
}

function fail(status: number, code: string, message: string): FakeResponse {
  return { status, body: notionError(status, code, message) };
}

/** What Notion returns as `last_edited_time`: an ISO time truncated to the minute. */
function minuteOf(ms: number): string {
  return new Date(Math.floor(ms / 60_000) * 60_000).toISOString();
}

/**
 * A fake of the Notion API (version 2025-09-03: databases hold data sources) for what the notion
 * connector uses: data source schemas, queries with filters/sorts/cursors, page create/update
 * with per-type validation and the 2,000-character text limit, block children with the
 * 100-block limit, and OAuth token exchange and refresh with rotating refresh tokens.
 */
export class FakeNotion {
  readonly server: FakeServer;
  readonly pages = new Map<string, FakePage>();
  readonly #dataSources = new Map<string, DataSource>();
  readonly #tokens: Set<string>;
  readonly #oauth: FakeNotionOAuth;
  #clock: () => number = Date.now;
  /** Pages not shared with the integration: Notion answers 403 restricted_resource. */
  readonly #restricted = new Set<string>();
  readonly #queryResultLimit: number;
  /** Real time each page was created, for the query visibility lag. */
  readonly #madeAt = new Map<string, number>();
  #queryLagMs = 0;

  constructor(options: FakeNotionOptions = {}) {
    this.#tokens = new Set(options.tokens ?? ['secret_test']);
    this.#oauth = new FakeNotionOAuth(this.#tokens);
    this.#queryResultLimit = options.queryResultLimit ?? 10_000;
    const oauth = options.oauthClient;
    this.server = new FakeServer({
      name: 'Notion',
      errorBody: notionError,
      rateLimit: options.rateLimit,
      publicPaths: [/^\/v1\/oauth\/token$/],
      checkRequest: (request) => {
        const problem = versionProblem(request);
        return problem && fail(400, problem.code, problem.message);
      },
      isValidToken: (token) => token !== undefined && this.#tokens.has(token),
    });
    this.server
      .route('GET', '/v1/databases/:id', ({ params }) => this.#getDatabase(params.id!))
      .route('GET', '/v1/data_sources/:id', ({ params }) => {
        const source = this.#dataSources.get(params.id!);
        return source
          ? { status: 200, body: this.#dataSourceJson(source) }
          : this.#missing(params.id!);
      })
      .route('PATCH', '/v1/data_sources/:id', (request) => this.#updateDataSource(request))
      .route('POST', '/v1/data_sources/:id/query', (request) => this.#query(request))
      .route('POST', '/v1/pages', (request) => this.#createPage(request))
      .route('GET', '/v1/pages/:id', ({ params }) => {
        const page = this.pages.get(params.id!);
        return page ? { status: 200, body: pageJson(page) } : this.#missing(params.id!);
      })
      .route('GET', '/v1/pages/:id/properties/:property', ({ params, query }) => {
        const page = this.pages.get(params.id!);
        if (!page) return this.#missing(params.id!);
        const value = Object.values(page.properties).find(
          (candidate) => candidate.id === params.property,
        );
        return propertyItems(value, query);
      })
      .route('PATCH', '/v1/pages/:id', (request) =>
        this.#restricted.has(request.params.id!) ? restricted() : this.#updatePage(request),
      )
      .route('GET', '/v1/blocks/:id/children', (request) => this.#listChildren(request))
      .route('PATCH', '/v1/blocks/:id/children', (request) => this.#appendChildren(request))
      .route('DELETE', '/v1/blocks/:id', ({ params }) => this.#deleteBlock(params.id!))
      .route('POST', '/v1/oauth/token', (request) => this.#oauth.token(request, oauth));
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  get url(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Replaces the clock used for `last_edited_time` (tests that need several minutes). */
  setClock(clock: () => number): void {
    this.#clock = clock;
  }

  /**
   * Queries see a page only this long after it was created, as Notion's do (a few seconds);
   * retrieving it by id sees it at once.
   */
  setQueryLag(ms: number): void {
    this.#queryLagMs = ms;
  }

  /** Moves a page to the trash, as a person does in Notion (its edit time moves). */
  trash(pageId: string): void {
    const page = this.pages.get(pageId)!;
    page.in_trash = true;
    page.archived = true;
    page.last_edited_time = minuteOf(this.#clock());
  }

  /** Un-shares a page from the integration: writes to it answer 403 restricted_resource. */
  restrict(pageId: string): void {
    this.#restricted.add(pageId);
  }

  revokeToken(token: string): void {
    this.#tokens.delete(token);
  }

  /** An authorization code a user would bring back from the consent screen. */
  issueCode(): string {
    const code = `code_${randomUUID()}`;
    this.#oauth.codes.add(code);
    return code;
  }

  /** Forgets every refresh token, as revoking the connection in Notion does. */
  revokeRefreshTokens(): void {
    for (const [refresh, access] of this.#oauth.refreshTokens) {
      this.#oauth.refreshTokens.delete(refresh);
      this.#tokens.delete(access);
    }
  }

  /** Creates a database with one data source; returns both ids. */
  createDatabase(
    title: string,
    properties: Record<string, { type: string; [config: string]: unknown }>,
  ): { databaseId: string; dataSourceId: string } {
    const databaseId = randomUUID();
    const dataSourceId = randomUUID();
    const schema: Record<string, FakeProperty> = {};
    for (const [name, definition] of Object.entries(properties)) {
      schema[name] = { id: randomUUID().slice(0, 4), name, ...withConfig(definition) };
    }
    this.#dataSources.set(dataSourceId, {
      id: dataSourceId,
      databaseId,
      title,
      properties: schema,
    });
    return { databaseId, dataSourceId };
  }

  schemaOf(dataSourceId: string): Record<string, FakeProperty> {
    return this.#dataSources.get(dataSourceId)!.properties;
  }

  /** Pages of a data source that are not in the trash. */
  pagesOf(dataSourceId: string): FakePage[] {
    return [...this.pages.values()].filter(
      (page) => page.parent.data_source_id === dataSourceId && !page.in_trash,
    );
  }

  /** A property value as plain text/number/boolean, for assertions. */
  static plain(value: Record<string, unknown> | undefined): unknown {
    return plainValue(value);
  }

  #missing(id: string): FakeResponse {
    return fail(
      404,
      'object_not_found',
      `Could not find object with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
    );
  }

  #getDatabase(id: string): FakeResponse {
    const sources = [...this.#dataSources.values()].filter((source) => source.databaseId === id);
    if (sources.length === 0) return this.#missing(id);
    return {
      status: 200,
      body: {
        object: 'database',
        id,
        title: [textPart(sources[0]!.title)],
        description: [],
        parent: { type: 'workspace', workspace: true },
        is_inline: false,
        in_trash: false,
        archived: false,
        is_locked: false,
        created_time: CREATED,
        last_edited_time: CREATED,
        data_sources: sources.map((source) => ({ id: source.id, name: source.title })),
        icon: null,
        cover: null,
        url: `https://www.notion.so/${id.replaceAll('-', '')}`,
        public_url: null,
      },
    };
  }

  #dataSourceJson(source: DataSource): unknown {
    return {
      object: 'data_source',
      id: source.id,
      title: [textPart(source.title)],
      description: [],
      parent: { type: 'database_id', database_id: source.databaseId },
      database_parent: { type: 'workspace', workspace: true },
      is_inline: false,
      in_trash: false,
      archived: false,
      created_time: CREATED,
      last_edited_time: CREATED,
      created_by: BOT_USER,
      last_edited_by: BOT_USER,
      properties: Object.fromEntries(
        Object.entries(source.properties).map(([name, property]) => [
          name,
          { description: null, ...property },
        ]),
      ),
      icon: null,
      cover: null,
      url: `https://www.notion.so/${source.databaseId.replaceAll('-', '')}`,
      public_url: null,
    };
  }

  #updateDataSource({ params, body }: FakeRequest): FakeResponse {
    const source = this.#dataSources.get(params.id!);
    if (!source) return this.#missing(params.id!);
    const properties = (body as { properties?: Record<string, Record<string, unknown>> })
      ?.properties;
    for (const [name, definition] of Object.entries(properties ?? {})) {
      const type = Object.keys(definition).find((key) => key !== 'name' && key !== 'type');
      if (!type) return fail(400, 'validation_error', `body.properties.${name} has no type.`);
      source.properties[name] = {
        id: source.properties[name]?.id ?? randomUUID().slice(0, 4),
        name,
        ...withConfig({ type, ...(definition[type] as object) }),
      };
    }
    return { status: 200, body: this.#dataSourceJson(source) };
  }

  #query({ params, body }: FakeRequest): FakeResponse {
    const source = this.#dataSources.get(params.id!);
    if (!source) return this.#missing(params.id!);
    const query = (body ?? {}) as {
      filter?: Filter;
      sorts?: Array<{ timestamp?: string; property?: string; direction: string }>;
      start_cursor?: string;
      page_size?: number;
      in_trash?: boolean;
    };
    const pageSize = query.page_size ?? MAX_PAGE_SIZE;
    if (pageSize > MAX_PAGE_SIZE) {
      return fail(400, 'validation_error', 'body.page_size should be ≤ `100`.');
    }
    const visibleBefore = Date.now() - this.#queryLagMs;
    // Queries return pages in the trash only when asked, and then only those.
    const inTrash = query.in_trash === true;
    let results = [...this.pages.values()].filter(
      (page) => page.parent.data_source_id === source.id && page.in_trash === inTrash,
    );
    results = results.filter(
      (page) =>
        (this.#madeAt.get(page.id) ?? 0) <= visibleBefore &&
        (query.filter === undefined || matches(page, query.filter)),
    );
    const sorts = query.sorts ?? [{ timestamp: 'created_time', direction: 'descending' }];
    results.sort((a, b) => {
      for (const sort of sorts) {
        const key = (page: FakePage) =>
          sort.timestamp
            ? String(page[sort.timestamp as 'last_edited_time'])
            : String(FakeNotion.plain(page.properties[sort.property!]) ?? '');
        const order = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
        if (order !== 0) return sort.direction === 'ascending' ? order : -order;
      }
      return a.id < b.id ? -1 : 1;
    });
    let start = 0;
    if (query.start_cursor) {
      start = results.findIndex((page) => page.id === query.start_cursor);
      if (start < 0) return fail(400, 'validation_error', 'The start_cursor provided is invalid.');
    }
    // One query (one filter and sort) serves at most the first `limit` rows, then says so.
    const limit = this.#queryResultLimit;
    const end = Math.min(start + pageSize, limit);
    const slice = results.slice(start, end);
    const next = end < limit ? results[end] : undefined;
    const incomplete = end >= limit && results.length > limit;
    results = slice;
    return {
      status: 200,
      body: {
        object: 'list',
        results: results.map(pageJson),
        next_cursor: next?.id ?? null,
        has_more: next !== undefined,
        request_status: incomplete
          ? { type: 'incomplete', incomplete_reason: 'query_result_limit_reached' }
          : { type: 'complete' },
        type: 'page_or_data_source',
        page_or_data_source: {},
      },
    };
  }

  #createPage({ body }: FakeRequest): FakeResponse {
    const input = body as {
      parent?: { type?: string; data_source_id?: string };
      properties?: Record<string, Record<string, unknown>>;
      children?: Array<Record<string, unknown>>;
    };
    const sourceId = input.parent?.data_source_id;
    const source = sourceId === undefined ? undefined : this.#dataSources.get(sourceId);
    if (!source) return this.#missing(String(sourceId));
    const tooBig = payloadProblem(body) ?? blocksProblem(input.children ?? []);
    if (tooBig) return fail(400, 'validation_error', tooBig);
    const properties = validateValues(source.properties, input.properties ?? {}, (id) =>
      this.pages.has(id),
    );
    if (typeof properties === 'string') return fail(400, 'validation_error', properties);
    const now = this.#clock();
    const id = randomUUID();
    this.#madeAt.set(id, Date.now());
    for (const [name, schema] of Object.entries(source.properties)) {
      properties[name] ??= emptyValue(schema);
    }
    const page: FakePage = {
      object: 'page',
      id,
      created_time: minuteOf(now),
      last_edited_time: minuteOf(now),
      in_trash: false,
      archived: false,
      parent: { type: 'data_source_id', data_source_id: source.id, database_id: source.databaseId },
      properties,
      url: `https://www.notion.so/${id.replaceAll('-', '')}`,
      children: (input.children ?? []).map((block) => storedBlock(block, id, minuteOf(now))),
    };
    this.pages.set(id, page);
    return { status: 200, body: pageJson(page) };
  }

  #updatePage({ params, body }: FakeRequest): FakeResponse {
    const page = this.pages.get(params.id!);
    if (!page) return this.#missing(params.id!);
    const input = body as {
      properties?: Record<string, Record<string, unknown>>;
      in_trash?: boolean;
      archived?: boolean;
    };
    const trash = input.in_trash ?? input.archived;
    const edits = Object.keys(input.properties ?? {}).length > 0;
    if (page.in_trash && edits && trash !== false) return fail(400, 'validation_error', ARCHIVED);
    const source = this.#dataSources.get(page.parent.data_source_id)!;
    const properties = validateValues(source.properties, input.properties ?? {}, (id) =>
      this.pages.has(id),
    );
    if (typeof properties === 'string') return fail(400, 'validation_error', properties);
    Object.assign(page.properties, properties);
    if (trash !== undefined) {
      page.in_trash = trash;
      page.archived = trash;
    }
    page.last_edited_time = minuteOf(this.#clock());
    return { status: 200, body: pageJson(page) };
  }

  #listChildren({ params, query }: FakeRequest): FakeResponse {
    const page = this.pages.get(params.id!);
    if (!page) return this.#missing(params.id!);
    const size = Math.min(MAX_PAGE_SIZE, Number(query.get('page_size') ?? MAX_PAGE_SIZE));
    const start = query.get('start_cursor')
      ? page.children.findIndex((block) => block.id === query.get('start_cursor'))
      : 0;
    const slice = page.children.slice(start, start + size);
    const next = page.children[start + size];
    return {
      status: 200,
      body: {
        object: 'list',
        results: slice,
        next_cursor: (next?.id as string | undefined) ?? null,
        has_more: next !== undefined,
        type: 'block',
        block: {},
      },
    };
  }

  /** Moves a block to the trash: it leaves its page's children and is answered trashed. */
  #deleteBlock(id: string): FakeResponse {
    for (const page of this.pages.values()) {
      const index = page.children.findIndex((block) => block.id === id);
      if (index < 0) continue;
      if (page.in_trash) return fail(400, 'validation_error', ARCHIVED);
      const [block] = page.children.splice(index, 1);
      page.last_edited_time = minuteOf(this.#clock());
      return { status: 200, body: { ...block, in_trash: true, archived: true } };
    }
    return this.#missing(id);
  }

  #appendChildren({ params, body }: FakeRequest): FakeResponse {
    const page = this.pages.get(params.id!);
    if (!page) return this.#missing(params.id!);
    const children = (body as { children?: Array<Record<string, unknown>> })?.children ?? [];
    if (page.in_trash) return fail(400, 'validation_error', ARCHIVED);
    const tooBig = payloadProblem(body) ?? blocksProblem(children);
    if (tooBig) return fail(400, 'validation_error', tooBig);
    const stored = children.map((block) => storedBlock(block, page.id, minuteOf(this.#clock())));
    page.children.push(...stored);
    page.last_edited_time = minuteOf(this.#clock());
    return {
      status: 200,
      body: {
        object: 'list',
        results: stored,
        next_cursor: null,
        has_more: false,
        type: 'block',
        block: {},
      },
    };
  }
}
