export { NOTION_VERSION, REQUEST_LIMITS } from './limits.js';
export { FakeNotion, type FakeNotionOptions } from './server.js';
export type { FakePage, FakeProperty } from './state.js';
