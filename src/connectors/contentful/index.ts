export type {
  ContentfulDeliveryClient,
  ContentfulSyncItem,
  ContentfulSyncPage,
} from './client.js';
export { type ContentfulSourceOptions, itemRecord, source } from './source.js';
