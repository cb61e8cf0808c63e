export type { AsanaClient, AsanaCustomField, AsanaPage, AsanaTask } from './client.js';
export {
  type AsanaDestinationOptions,
  type AsanaTarget,
  type AsanaTokenType,
  destination,
} from './destination.js';
export type { AsanaTaskField } from './encode.js';
