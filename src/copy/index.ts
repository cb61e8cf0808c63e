export { type CopyOptions, type CopyProgress, type CopySummary, copyResources } from './copy.js';
export { directoryEndpoint } from './directory-endpoint.js';
export type {
  CopyChange,
  CopyEndpoint,
  CopyFailure,
  CopyOrigin,
  CopyPlan,
  CopyReadContext,
  CopyTarget,
  CopyTargetSession,
  CopyWriteContext,
} from './endpoint.js';
export { fileEndpoint } from './file-endpoint.js';
export {
  HttpClient,
  type HttpClientOptions,
  type HttpResponse,
  type HttpRetryNotice,
  snippet,
} from './http-client.js';
export { type HttpEndpointOptions, httpEndpoint } from './http-endpoint.js';
export { nextFromLinkHeader, nextPageUrl } from './pagination.js';
export { type CopyEndpointOptions, parseEndpoint } from './parse-endpoint.js';
export type {
  CopyResource,
  ResourceDocument,
  ResourceHead,
  StagedResource,
} from './resource.js';
export {
  type ResourceLink,
  type ResourceSchema,
  type ResourceSchemaName,
  resourceSchema,
} from './schema.js';
export { stdioEndpoint } from './stdio-endpoint.js';
