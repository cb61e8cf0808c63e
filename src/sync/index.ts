export type {
  ConfirmOptions,
  ConnectorTelemetry,
  Destination,
  DestinationSession,
  ListedObject,
  MissingCheck,
  ReadOptions,
  SessionContext,
  Source,
  SourceMode,
  SourcePage,
  SourceUnit,
  UnreadableRecord,
  WriteOp,
  WriteResult,
} from './contracts.js';
export { contentHash } from './hash.js';
export { type Logger, silentLogger } from './logger.js';
export { type MergeSourcesOptions, mergeSources } from './merge-sources.js';
export {
  anyObject,
  checkOptions,
  closest,
  describeIssues,
  fn,
  optionsSchema,
} from './options-check.js';
export type { CircuitBreakerOptions } from './outage.js';
export { type PreparedPage, preparePage } from './page-prepare.js';
export {
  type DeleteGuardOptions,
  type DeletePolicy,
  definePipeline,
  type Pipeline,
  type PipelineOptions,
  type ScheduleOptions,
  scheduleSchema,
  type VerifyScheduleOptions,
} from './pipeline.js';
export { dedupeByKey, type RouteContext, type RouteOptions, routePage } from './route.js';
export {
  QUOTA_WAIT,
  REAUTHORIZE,
  type RunOptions,
  type RunProgress,
  type RunResult,
  retryDeadLetters,
  runPipeline,
} from './run.js';
export { stoppedOutcome } from './stopped.js';
