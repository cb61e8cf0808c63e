/**
 * The @notionhq/client response types the Notion fake is checked against. The JSON schemas in
 * notion-responses.json are generated from them (SDK version recorded in the file):
 *   npx ts-json-schema-generator --path test/fakes/schemas/notion-sdk-types.ts --type '*' \
 *     --no-type-check --expose export -o test/fakes/schemas/notion-responses.json
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
