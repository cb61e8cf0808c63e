export type {
  ContentfulDeliveryClient,
  ContentfulSyncItem,
  ContentfulSyncPage,
} from './client.js';
export { type ContentfulDestinationOptions, destination } from './destination.js';
export { type ContentfulTarget, entryIdFor, type LocalizedFields } from './encode.js';
export {
  ContentfulHttpError,
  type ContentfulManagementClient,
  type EntryQuery,
  type ManagementEntry,
  type ManagementEntryPage,
} from './management-client.js';
export {
  type ContentfulManagementSourceOptions,
  type EntryStatus,
  entryStatus,
} from './management-source.js';
export { type ContentfulMcpDestinationOptions, mcpDestination } from './mcp-destination.js';
export { type ContentfulSourceOptions, itemRecord, source } from './source.js';
