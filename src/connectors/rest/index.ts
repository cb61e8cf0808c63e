export { destination, type RestDestinationOptions } from './destination.js';
export { type RestPagination, type RestSourceOptions, source } from './source.js';
