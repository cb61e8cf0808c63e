export type { KeepsyncConnectionOptions } from './connection.js';
export { destination, type KeepsyncDestinationOptions } from './destination.js';
export { type KeepsyncSourceOptions, source } from './source.js';
export { type KeepsyncTwoWayOptions, twoWaySide } from './two-way.js';
