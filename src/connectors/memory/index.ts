export {
  destination,
  type MemoryDestination,
  type MemoryDestinationOptions,
  type MemoryObject,
} from './destination.js';
export { type GeneratedUnit, type MemorySourceOptions, type MemoryUnit, source } from './source.js';
export { type MemoryRow, type MemoryTable, type MemoryTableOptions, table } from './table.js';
