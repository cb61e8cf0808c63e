import { randomUUID } from 'node:crypto';
import { FakeServer, type RateLimit } from '../fake-server.js';
import { appendChildren, deleteBlock, listChildren } from './blocks.js';
import { getDatabase, getDataSource, updateDataSource } from './data-sources.js';
import { fail, missing, notionError, restricted } from './errors.js';
import { versionProblem } from './limits.js';
import { FakeNotionOAuth } from './oauth.js';
import { createPage, queryDataSource, updatePage } from './pages.js';
import { propertyItems } from './property-items.js';
import { type FakePage, type FakeProperty, NotionState } from './state.js';
import { pageJson, plainValue, withConfig } from './values.js';

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

/**
 * A fake of the Notion API (version 2025-09-03: databases hold data sources) for what the notion
 * connector uses: data source schemas, queries with filters/sorts/cursors, page create/update
 * with per-type validation and the 2,000-character text limit, block children with the
 * 100-block limit, and OAuth token exchange and refresh with rotating refresh tokens.
 */
export class FakeNotion {
  readonly server: FakeServer;
  readonly #state: NotionState;
  readonly #tokens: Set<string>;
  readonly #oauth: FakeNotionOAuth;

  constructor(options: FakeNotionOptions = {}) {
    const state = new NotionState(options.queryResultLimit ?? 10_000);
    this.#state = state;
    this.#tokens = new Set(options.tokens ?? ['secret_test']);
    this.#oauth = new FakeNotionOAuth(this.#tokens);
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
      .route('GET', '/v1/databases/:id', ({ params }) => getDatabase(state, params.id!))
      .route('GET', '/v1/data_sources/:id', ({ params }) => getDataSource(state, params.id!))
      .route('PATCH', '/v1/data_sources/:id', (request) => updateDataSource(state, request))
      .route('POST', '/v1/data_sources/:id/query', (request) => queryDataSource(state, request))
      .route('POST', '/v1/pages', (request) => createPage(state, request))
      .route('GET', '/v1/pages/:id', ({ params }) => {
        const page = state.pages.get(params.id!);
        return page ? { status: 200, body: pageJson(page) } : missing(params.id!);
      })
      .route('GET', '/v1/pages/:id/properties/:property', ({ params, query }) => {
        const page = state.pages.get(params.id!);
        if (!page) return missing(params.id!);
        const value = Object.values(page.properties).find(
          (candidate) => candidate.id === params.property,
        );
        return propertyItems(value, query);
      })
      .route('PATCH', '/v1/pages/:id', (request) =>
        state.restricted.has(request.params.id!) ? restricted() : updatePage(state, request),
      )
      .route('GET', '/v1/blocks/:id/children', (request) => listChildren(state, request))
      .route('PATCH', '/v1/blocks/:id/children', (request) => appendChildren(state, request))
      .route('DELETE', '/v1/blocks/:id', ({ params }) => deleteBlock(state, params.id!))
      .route('POST', '/v1/oauth/token', (request) => this.#oauth.token(request, oauth));
  }

  /** Every page, trashed or not, by id (tests read and edit them directly). */
  get pages(): Map<string, FakePage> {
    return this.#state.pages;
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
    this.#state.clock = clock;
  }

  /**
   * Queries see a page only this long after it was created, as Notion's do (a few seconds);
   * retrieving it by id sees it at once.
   */
  setQueryLag(ms: number): void {
    this.#state.queryLagMs = ms;
  }

  /** Moves a page to the trash, as a person does in Notion (its edit time moves). */
  trash(pageId: string): void {
    const page = this.#state.pages.get(pageId)!;
    page.in_trash = true;
    page.archived = true;
    page.last_edited_time = this.#state.minute();
  }

  /** Un-shares a page from the integration: writes to it answer 403 restricted_resource. */
  restrict(pageId: string): void {
    this.#state.restricted.add(pageId);
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
    this.#state.dataSources.set(dataSourceId, {
      id: dataSourceId,
      databaseId,
      title,
      properties: schema,
    });
    return { databaseId, dataSourceId };
  }

  schemaOf(dataSourceId: string): Record<string, FakeProperty> {
    return this.#state.dataSources.get(dataSourceId)!.properties;
  }

  /** Pages of a data source that are not in the trash. */
  pagesOf(dataSourceId: string): FakePage[] {
    return [...this.#state.pages.values()].filter(
      (page) => page.parent.data_source_id === dataSourceId && !page.in_trash,
    );
  }

  /** A property value as plain text/number/boolean, for assertions. */
  static plain(value: Record<string, unknown> | undefined): unknown {
    return plainValue(value);
  }
}
