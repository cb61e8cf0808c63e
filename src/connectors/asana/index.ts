export type { AsanaClient, AsanaCustomField, AsanaPage, AsanaTask } from './client.js';
export { type AsanaDestinationOptions, type AsanaTarget, destination } from './destination.js';
export type { AsanaTaskField } from './encode.js';
