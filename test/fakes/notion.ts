import { randomUUID } from 'node:crypto';
import { type FakeRequest, type FakeResponse, FakeServer, type RateLimit } from './fake-server.js';

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

const MAX_TEXT = 2000;
const MAX_CHILDREN = 100;
const MAX_PAGE_SIZE = 100;

/** Notion's error body: `{ object: 'error', status, code, message }`. */
function notionError(status: number, code: string, message: string): unknown {
  const known = status === 401 ? 'unauthorized' : status === 404 ? 'object_not_found' : code;
  return { object: 'error', status, code: known, message, request_id: randomUUID() };
}

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
  readonly #codes = new Map<string, string>();
  /** refresh token -> access token it belongs to. */
  readonly #refreshTokens = new Map<string, string>();
  #clock: () => number = Date.now;
  /** Pages not shared with the integration: Notion answers 403 restricted_resource. */
  readonly #restricted = new Set<string>();
  readonly #queryResultLimit: number;
  /** Real time each page was created, for the query visibility lag. */
  readonly #madeAt = new Map<string, number>();
  #queryLagMs = 0;

  constructor(options: FakeNotionOptions = {}) {
    this.#tokens = new Set(options.tokens ?? ['secret_test']);
    this.#queryResultLimit = options.queryResultLimit ?? 10_000;
    const oauth = options.oauthClient;
    this.server = new FakeServer({
      name: 'Notion',
      errorBody: notionError,
      rateLimit: options.rateLimit,
      publicPaths: [/^\/v1\/oauth\/token$/],
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
      .route('PATCH', '/v1/pages/:id', (request) =>
        this.#restricted.has(request.params.id!) ? restricted() : this.#updatePage(request),
      )
      .route('GET', '/v1/blocks/:id/children', (request) => this.#listChildren(request))
      .route('PATCH', '/v1/blocks/:id/children', (request) => this.#appendChildren(request))
      .route('POST', '/v1/oauth/token', (request) => this.#token(request, oauth));
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
    this.#codes.set(code, 'issued');
    return code;
  }

  /** Forgets every refresh token, as revoking the connection in Notion does. */
  revokeRefreshTokens(): void {
    for (const [refresh, access] of this.#refreshTokens) {
      this.#refreshTokens.delete(refresh);
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
    if (!value) return undefined;
    const type = value.type as string;
    const inner = value[type];
    if (type === 'title' || type === 'rich_text') {
      return (inner as Array<{ plain_text: string }>).map((part) => part.plain_text).join('');
    }
    if (type === 'select') return (inner as { name: string } | null)?.name ?? null;
    if (type === 'multi_select') return (inner as Array<{ name: string }>).map((o) => o.name);
    if (type === 'date') return (inner as { start: string } | null)?.start ?? null;
    if (type === 'relation') return (inner as Array<{ id: string }>).map((r) => r.id);
    return inner;
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
        data_sources: sources.map((source) => ({ id: source.id, name: source.title })),
      },
    };
  }

  #dataSourceJson(source: DataSource): unknown {
    return {
      object: 'data_source',
      id: source.id,
      title: [textPart(source.title)],
      parent: { type: 'database_id', database_id: source.databaseId },
      properties: source.properties,
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
    };
    const pageSize = query.page_size ?? MAX_PAGE_SIZE;
    if (pageSize > MAX_PAGE_SIZE) {
      return fail(400, 'validation_error', 'body.page_size should be ≤ `100`.');
    }
    const visibleBefore = Date.now() - this.#queryLagMs;
    let results = this.pagesOf(source.id).filter(
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
    if ((input.children?.length ?? 0) > MAX_CHILDREN) {
      return fail(
        400,
        'validation_error',
        `body.children.length should be ≤ \`${MAX_CHILDREN}\`, instead was \`${input.children!.length}\`.`,
      );
    }
    const properties = this.#validate(source, input.properties ?? {});
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
      children: (input.children ?? []).map(storedBlock),
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
    const source = this.#dataSources.get(page.parent.data_source_id)!;
    const properties = this.#validate(source, input.properties ?? {});
    if (typeof properties === 'string') return fail(400, 'validation_error', properties);
    Object.assign(page.properties, properties);
    const trash = input.in_trash ?? input.archived;
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

  #appendChildren({ params, body }: FakeRequest): FakeResponse {
    const page = this.pages.get(params.id!);
    if (!page) return this.#missing(params.id!);
    const children = (body as { children?: Array<Record<string, unknown>> })?.children ?? [];
    if (children.length > MAX_CHILDREN) {
      return fail(
        400,
        'validation_error',
        `body.children.length should be ≤ \`${MAX_CHILDREN}\`, instead was \`${children.length}\`.`,
      );
    }
    const stored = children.map(storedBlock);
    page.children.push(...stored);
    page.last_edited_time = minuteOf(this.#clock());
    return {
      status: 200,
      body: { object: 'list', results: stored, next_cursor: null, has_more: false },
    };
  }

  #token(
    { body, headers }: FakeRequest,
    client: { clientId: string; clientSecret: string } | undefined,
  ): FakeResponse {
    const basic = headers.authorization?.startsWith('Basic ')
      ? Buffer.from(headers.authorization.slice(6), 'base64').toString('utf8')
      : '';
    if (!client || basic !== `${client.clientId}:${client.clientSecret}`) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Client authentication failed.' },
      };
    }
    const input = (body ?? {}) as { grant_type?: string; code?: string; refresh_token?: string };
    if (input.grant_type === 'authorization_code') {
      if (!input.code || !this.#codes.delete(input.code)) {
        return {
          status: 400,
          body: { error: 'invalid_grant', error_description: 'Invalid code.' },
        };
      }
    } else if (input.grant_type === 'refresh_token') {
      const access = input.refresh_token ? this.#refreshTokens.get(input.refresh_token) : undefined;
      if (access === undefined) {
        return {
          status: 400,
          body: {
            error: 'invalid_grant',
            error_description: 'Token has been expired or revoked.',
          },
        };
      }
      // Rotation: the old pair stops working once a refresh succeeds.
      this.#refreshTokens.delete(input.refresh_token!);
      this.#tokens.delete(access);
    } else {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const accessToken = `ntn_${randomUUID().replaceAll('-', '')}`;
    const refreshToken = `nrt_${randomUUID().replaceAll('-', '')}`;
    this.#tokens.add(accessToken);
    this.#refreshTokens.set(refreshToken, accessToken);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'bearer',
        refresh_token: refreshToken,
        bot_id: randomUUID(),
        workspace_id: randomUUID(),
        workspace_name: 'Fake workspace',
        workspace_icon: null,
        owner: { type: 'workspace', workspace: true },
        duplicated_template_id: null,
        request_id: randomUUID(),
      },
    };
  }

  /** Checks property values against the schema; returns the stored values or an error text. */
  #validate(
    source: DataSource,
    values: Record<string, Record<string, unknown>>,
  ): Record<string, Record<string, unknown>> | string {
    const stored: Record<string, Record<string, unknown>> = {};
    for (const [name, value] of Object.entries(values)) {
      const schema = source.properties[name];
      if (!schema) return `${name} is not a property that exists.`;
      const type = schema.type;
      if (!(type in value)) return `${name} is expected to be ${type}.`;
      const inner = value[type];
      switch (type) {
        case 'title':
        case 'rich_text': {
          if (!Array.isArray(inner)) return `${name} is expected to be ${type}.`;
          const parts = inner as Array<{ text?: { content?: string; link?: unknown } }>;
          for (const [index, part] of parts.entries()) {
            const length = part.text?.content?.length ?? 0;
            if (length > MAX_TEXT) {
              return `body.properties.${name}.${type}[${index}].text.content.length should be ≤ \`${MAX_TEXT}\`, instead was \`${length}\`.`;
            }
          }
          stored[name] = {
            id: schema.id,
            type,
            [type]: parts.map((part) => ({
              type: 'text',
              text: { content: part.text?.content ?? '', link: part.text?.link ?? null },
              plain_text: part.text?.content ?? '',
              href: null,
            })),
          };
          break;
        }
        case 'number':
          if (inner !== null && typeof inner !== 'number') {
            return `${name} is expected to be number.`;
          }
          stored[name] = { id: schema.id, type, number: inner };
          break;
        case 'checkbox':
          if (typeof inner !== 'boolean') return `${name} is expected to be checkbox.`;
          stored[name] = { id: schema.id, type, checkbox: inner };
          break;
        case 'url':
        case 'email':
          if (inner !== null && typeof inner !== 'string') {
            return `${name} is expected to be ${type}.`;
          }
          stored[name] = { id: schema.id, type, [type]: inner };
          break;
        case 'date': {
          const date = inner as { start?: string } | null;
          if (
            date !== null &&
            (typeof date?.start !== 'string' || Number.isNaN(Date.parse(date.start)))
          ) {
            return `${name} is expected to be date.`;
          }
          stored[name] = { id: schema.id, type, date };
          break;
        }
        case 'select': {
          const option = inner as { name?: string } | null;
          if (option !== null && typeof option?.name !== 'string') {
            return `${name} is expected to be select.`;
          }
          if (option?.name?.includes(',')) return `Select option names cannot contain commas.`;
          stored[name] = {
            id: schema.id,
            type,
            select: option === null ? null : this.#option(schema, option.name!),
          };
          break;
        }
        case 'multi_select': {
          if (!Array.isArray(inner)) return `${name} is expected to be multi_select.`;
          const options = inner as Array<{ name: string }>;
          if (options.some((option) => option.name.includes(','))) {
            return `Select option names cannot contain commas.`;
          }
          stored[name] = {
            id: schema.id,
            type,
            multi_select: options.map((option) => this.#option(schema, option.name)),
          };
          break;
        }
        case 'relation': {
          if (!Array.isArray(inner)) return `${name} is expected to be relation.`;
          for (const ref of inner as Array<{ id: string }>) {
            if (!this.pages.has(ref.id)) return `${name}: relation target ${ref.id} was not found.`;
          }
          stored[name] = { id: schema.id, type, relation: inner, has_more: false };
          break;
        }
        default:
          return `${name}: property type ${type} cannot be written through the API.`;
      }
    }
    return stored;
  }

  /** A select option by name; Notion adds a missing option to the schema when it is written. */
  #option(schema: FakeProperty, name: string): { id: string; name: string; color: string } {
    const config = schema[schema.type] as {
      options: Array<{ id: string; name: string; color: string }>;
    };
    let option = config.options.find((candidate) => candidate.name === name);
    if (!option) {
      option = { id: randomUUID().slice(0, 4), name, color: 'default' };
      config.options.push(option);
    }
    return option;
  }
}

interface Filter {
  readonly or?: Filter[];
  readonly and?: Filter[];
  readonly timestamp?: 'last_edited_time' | 'created_time';
  readonly property?: string;
  readonly [condition: string]: unknown;
}

function matches(page: FakePage, filter: Filter): boolean {
  if (filter.or) return filter.or.some((inner) => matches(page, inner));
  if (filter.and) return filter.and.every((inner) => matches(page, inner));
  if (filter.timestamp) {
    const value = page[filter.timestamp];
    const condition = filter[filter.timestamp] as Record<string, string>;
    const [operator, operand] = Object.entries(condition)[0]!;
    const left = Date.parse(value);
    const right = Date.parse(operand);
    if (operator === 'after') return left > right;
    if (operator === 'on_or_after') return left >= right;
    if (operator === 'before') return left < right;
    if (operator === 'on_or_before') return left <= right;
    return left === right;
  }
  const property = page.properties[filter.property ?? ''];
  const [, conditions] = Object.entries(filter).find(([key]) => key !== 'property')!;
  const [operator, operand] = Object.entries(conditions as Record<string, unknown>)[0]!;
  const value = FakeNotion.plain(property);
  if (operator === 'equals') return value === operand;
  if (operator === 'is_empty') return value === '' || value === null;
  if (operator === 'is_not_empty') return value !== '' && value !== null;
  throw new Error(`filter operator ${operator} is not supported by the fake`);
}

function withConfig(definition: { type: string; [config: string]: unknown }): {
  type: string;
  [config: string]: unknown;
} {
  const { type, ...rest } = definition;
  const config =
    type === 'select' || type === 'multi_select'
      ? { options: (rest.options as unknown[] | undefined) ?? [] }
      : type === 'number'
        ? { format: (rest.format as string | undefined) ?? 'number' }
        : type === 'relation'
          ? { data_source_id: rest.data_source_id, type: 'single_property', single_property: {} }
          : {};
  return { type, [type]: config };
}

function emptyValue(schema: FakeProperty): Record<string, unknown> {
  const empty: Record<string, unknown> = {
    title: [],
    rich_text: [],
    number: null,
    checkbox: false,
    select: null,
    multi_select: [],
    date: null,
    url: null,
    email: null,
    relation: [],
  };
  return { id: schema.id, type: schema.type, [schema.type]: empty[schema.type] ?? null };
}

function storedBlock(block: Record<string, unknown>): Record<string, unknown> {
  return { object: 'block', id: randomUUID(), has_children: false, ...block };
}

function textPart(content: string): unknown {
  return { type: 'text', text: { content, link: null }, plain_text: content, href: null };
}

function pageJson(page: FakePage): unknown {
  const { children: _children, ...rest } = page;
  return rest;
}
