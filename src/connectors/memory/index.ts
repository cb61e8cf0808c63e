export {
  destination,
  type MemoryDestination,
  type MemoryDestinationOptions,
  type MemoryObject,
} from './destination.js';
export { type GeneratedUnit, type MemorySourceOptions, type MemoryUnit, source } from './source.js';
