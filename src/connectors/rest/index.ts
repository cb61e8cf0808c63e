export { type RestPagination, type RestSourceOptions, source } from './source.js';
