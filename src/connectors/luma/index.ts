export { destination, encodeEvent, type LumaDestinationOptions } from './destination.js';
export type { LumaEntry, LumaEvent, LumaHost } from './records.js';
export { eventRecord } from './records.js';
export type { LumaConnection } from './settings.js';
export { type LumaSourceOptions, source } from './source.js';
