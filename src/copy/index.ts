export { type CopyOptions, type CopyProgress, type CopySummary, copyResources } from './copy.js';
export { directoryEndpoint } from './directory-endpoint.js';
export type {
  CopyChange,
  CopyEndpoint,
  CopyFailure,
  CopyOrigin,
  CopyPlan,
  CopyTarget,
  ReadContext,
  TargetSession,
  WriteContext,
} from './endpoint.js';
export { fileEndpoint } from './file-endpoint.js';
export type { HttpClientOptions } from './http-client.js';
export { type HttpEndpointOptions, httpEndpoint } from './http-endpoint.js';
export { type EndpointOptions, parseEndpoint } from './parse-endpoint.js';
export type { JsonObject, Resource } from './resource.js';
export { type Link, type Schema, type SchemaName, schemaFor } from './schema.js';
export { stdioEndpoint } from './stdio-endpoint.js';
