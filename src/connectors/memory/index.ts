export {
  destination,
  type MemoryDestination,
  type MemoryDestinationOptions,
  type MemoryObject,
} from './destination.js';
export { type MemorySourceOptions, source } from './source.js';
