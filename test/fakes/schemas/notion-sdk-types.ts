/**
 * The @notionhq/client response types the Notion fake is checked against. The JSON schemas in
 * notion-responses.json are generated from them (SDK version recorded in the file) by
 * `node --import tsx scripts/notion-response-schemas.ts`.
 */
export type {
  AppendBlockChildrenResponse,
  CreatePageResponse,
  GetDatabaseResponse,
  GetDataSourceResponse,
  ListBlockChildrenResponse,
  PageObjectResponse,
  PropertyItemListResponse,
  PropertyItemObjectResponse,
  QueryDataSourceResponse,
  UpdatePageResponse,
} from '@notionhq/client';
