import { importPeer } from '../support/index.js';

/** A property of a data source schema: its name and type (`title`, `number`...). */
export interface NotionSchemaProperty {
  readonly id?: string;
  readonly name: string;
  readonly type: string;
}

/** A page as queries and writes return it (the fields keepsync reads). */
export interface NotionPage {
  readonly id: string;
  readonly created_time?: string;
  readonly last_edited_time: string;
  readonly in_trash?: boolean;
  readonly parent?: { readonly data_source_id?: string };
  readonly properties: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface NotionQuery {
  readonly filter?: unknown;
  readonly sorts?: readonly unknown[];
  readonly start_cursor?: string | undefined;
  readonly page_size?: number;
  /** Only pages in the trash (Notion leaves them out of a query otherwise). */
  readonly in_trash?: boolean;
}

export interface NotionQueryResult {
  readonly results: readonly NotionPage[];
  readonly next_cursor: string | null;
  readonly has_more: boolean;
  /** "incomplete" when the query hit Notion's per-query result limit (10,000 rows). */
  readonly request_status?: { readonly type: 'complete' | 'incomplete' };
}

/** One page of "retrieve a page property item" for a paginated value (title, rich text, relation, people). */
export interface NotionPropertyItems {
  readonly results: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly next_cursor: string | null;
  readonly has_more: boolean;
}

export interface NotionTokenResponse {
  readonly access_token: string;
  readonly refresh_token?: string | null;
}

/**
 * The Notion calls keepsync makes, each with the token to use. Tests may pass an in-memory
 * implementation; `createNotionClient` binds the official SDK.
 */
export interface NotionClient {
  getDatabase(token: string, databaseId: string): Promise<{ data_sources: Array<{ id: string }> }>;
  getDataSource(
    token: string,
    dataSourceId: string,
  ): Promise<{ properties: Record<string, NotionSchemaProperty> }>;
  updateDataSource(
    token: string,
    dataSourceId: string,
    properties: Record<string, unknown>,
  ): Promise<unknown>;
  query(token: string, dataSourceId: string, query: NotionQuery): Promise<NotionQueryResult>;
  getPage(token: string, pageId: string): Promise<NotionPage>;
  /** A page property's items past the 25 a page object holds, 100 per call. */
  getPropertyItems(
    token: string,
    pageId: string,
    propertyId: string,
    startCursor: string | undefined,
  ): Promise<NotionPropertyItems>;
  createPage(token: string, body: Record<string, unknown>): Promise<NotionPage>;
  updatePage(token: string, pageId: string, body: Record<string, unknown>): Promise<NotionPage>;
  appendBlocks(token: string, blockId: string, children: readonly unknown[]): Promise<unknown>;
  /** One page (up to 100) of a block's children. */
  listBlocks(
    token: string,
    blockId: string,
    startCursor: string | undefined,
  ): Promise<{
    results: ReadonlyArray<Record<string, unknown>>;
    next_cursor: string | null;
    has_more: boolean;
  }>;
  /** Moves a block to the trash. */
  deleteBlock(token: string, blockId: string): Promise<unknown>;
  /** OAuth token endpoint (authorization_code or refresh_token grant). */
  token(
    client: { clientId: string; clientSecret: string },
    body: Record<string, string>,
  ): Promise<NotionTokenResponse>;
}

/** Databases hold data sources from this API version on. */
export const NOTION_VERSION = '2025-09-03';

export interface NotionClientOptions {
  /** @default 'https://api.notion.com' */
  readonly baseUrl?: string | undefined;
  /** @default 30_000 */
  readonly timeoutMs?: number | undefined;
}

/**
 * Binds @notionhq/client (loaded on first use). Its own retries are off: keepsync's shared
 * limiter paces every request of a credential and owns the waits after a 429.
 */
export async function createNotionClient(options: NotionClientOptions): Promise<NotionClient> {
  const { Client } = await importPeer(
    '@notionhq/client',
    'notion',
    () => import('@notionhq/client'),
  );
  const sdk = new Client({
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    timeoutMs: options.timeoutMs ?? 30_000,
    // The version these calls and shapes are written for, whatever the SDK's own default.
    notionVersion: NOTION_VERSION,
    retry: false,
    // The SDK logs response bodies at warn level; keepsync reports failures itself.
    logger: () => {},
  });
  return {
    getDatabase: (auth, database_id) =>
      sdk.databases.retrieve({ auth, database_id }) as unknown as Promise<{
        data_sources: Array<{ id: string }>;
      }>,
    getDataSource: (auth, data_source_id) =>
      sdk.dataSources.retrieve({ auth, data_source_id }) as unknown as Promise<{
        properties: Record<string, NotionSchemaProperty>;
      }>,
    updateDataSource: (auth, data_source_id, properties) =>
      sdk.dataSources.update({ auth, data_source_id, properties } as never),
    query: (auth, data_source_id, query) =>
      sdk.dataSources.query({
        auth,
        data_source_id,
        ...query,
      } as never) as unknown as Promise<NotionQueryResult>,
    getPage: (auth, page_id) =>
      sdk.pages.retrieve({ auth, page_id }) as unknown as Promise<NotionPage>,
    getPropertyItems: (auth, page_id, property_id, start_cursor) =>
      sdk.pages.properties.retrieve({
        auth,
        page_id,
        property_id,
        page_size: 100,
        ...(start_cursor ? { start_cursor } : {}),
      }) as unknown as Promise<NotionPropertyItems>,
    createPage: (auth, body) =>
      sdk.pages.create({ auth, ...body } as never) as unknown as Promise<NotionPage>,
    updatePage: (auth, page_id, body) =>
      sdk.pages.update({ auth, page_id, ...body } as never) as unknown as Promise<NotionPage>,
    appendBlocks: (auth, block_id, children) =>
      sdk.blocks.children.append({ auth, block_id, children } as never),
    listBlocks: (auth, block_id, start_cursor) =>
      sdk.blocks.children.list({
        auth,
        block_id,
        page_size: 100,
        ...(start_cursor ? { start_cursor } : {}),
      }) as never,
    deleteBlock: (auth, block_id) => sdk.blocks.delete({ auth, block_id }),
    token: (client, body) =>
      sdk.oauth.token({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        ...body,
      } as never) as unknown as Promise<NotionTokenResponse>,
  };
}
