export { FakeAsana, type FakeAsanaOptions, type FakeCustomField, type FakeTask } from './asana.js';
export {
  FakeContentful,
  type FakeContentfulEntry,
  type FakeContentfulOptions,
} from './contentful.js';
export {
  FakeContentfulManagement,
  type FakeContentTypeField,
  type FakeFieldType,
  type FakeManagementEntry,
} from './contentful-management.js';
export {
  type ErrorBody,
  type FakeHandler,
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  type FakeServerOptions,
  type Fault,
  type RateLimit,
  type SeenRequest,
} from './fake-server.js';
export {
  FakeGitHub,
  type FakeGitHubOptions,
  type FakeRepo,
  type ForbiddenKind,
} from './github.js';
export { FakeJira, type FakeJiraIssue, type FakeJiraOptions } from './jira.js';
export { FakeLuma, type FakeLumaEvent, type FakeLumaHost, type FakeLumaOptions } from './luma.js';
export {
  FakeNotion,
  type FakeNotionOptions,
  type FakePage,
  type FakeProperty,
  NOTION_VERSION,
  REQUEST_LIMITS as NOTION_REQUEST_LIMITS,
} from './notion/index.js';
export { FakeRest, type FakeRestItem, type FakeRestOptions, type FakeRestPaging } from './rest.js';
export {
  type FakeChannel,
  type FakeVideo,
  FakeYouTube,
  type FakeYouTubeOptions,
  QUOTA_COST,
  uploadsOf,
} from './youtube.js';
