export type {
  NotionClient,
  NotionPage,
  NotionQuery,
  NotionQueryResult,
  NotionSchemaProperty,
} from './client.js';
export {
  destination,
  type NotionAuth,
  type NotionDestinationOptions,
  type NotionPropertySpec,
} from './destination.js';
export { type NotionPropertyType, richText } from './encode.js';
export type { KeyPropertyType } from './key-property.js';
export { markdownToBlocks } from './markdown-blocks.js';
export { mcpDestination, type NotionMcpDestinationOptions } from './mcp-destination.js';
export { authorizeUrl, exchangeCode, type NotionOAuthClient } from './oauth.js';
export { type NotionSourceOptions, source } from './source.js';
export { checkConnectionName, type NotionOAuthOptions, saveTokens, secretNames } from './tokens.js';
