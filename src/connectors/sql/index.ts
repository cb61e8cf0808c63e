export type {
  SqlClient,
  SqlDialect,
  SqlRow,
  SqlRowArrays,
  SqlStatement,
  SqlValue,
} from './client.js';
export { destination, type SqlDestinationOptions } from './destination.js';
export { postgresClient } from './postgres-client.js';
export { type SqlSourceOptions, source } from './source.js';
export { type SqliteClientOptions, sqliteClient } from './sqlite-client.js';
export { type SqlTwoWayOptions, twoWaySide } from './two-way.js';
