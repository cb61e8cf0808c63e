export {
  createUnitActivities,
  type UnitActivities,
  type UnitActivitiesOptions,
} from './activities.js';
export {
  pauseUnit,
  resumeUnit,
  type StartUnitWorkflowsOptions,
  type StartUnitWorkflowsResult,
  type StatusQueryOptions,
  startUnitWorkflows,
  syncUnitNow,
  type UnitRef,
  unitHandle,
  unitStatus,
} from './client.js';
export {
  type AesGcmCodecOptions,
  aesGcmCodec,
  type CodecKey,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  parseCodecKeys,
} from './codec.js';
export { type CodecServerOptions, createCodecServer } from './codec-server.js';
export {
  connectTemporalClient,
  connectTemporalWorker,
  type ResolvedTemporalTarget,
  resolveTemporalTarget,
  type TemporalTarget,
} from './connect.js';
export { createOAuthActivities, type OAuthActivitiesOptions } from './oauth-activities.js';
export {
  reauthorizeConnection,
  type StartTokenWorkflowsOptions,
  type StartTokenWorkflowsResult,
  startTokenWorkflows,
  type TemporalTokenBrokerOptions,
  temporalTokenBroker,
  tokenOwnerStatus,
} from './oauth-client.js';
export {
  OAUTH_WORKFLOW,
  type OAuthStatus,
  type OAuthWorkflowInput,
  oauthWorkflowId,
} from './oauth-protocol.js';
export {
  type LastRun,
  type RunActivityOptions,
  type RunUnitInput,
  type RunUnitResult,
  SIGNALS,
  STATUS_QUERY,
  UNIT_WORKFLOW,
  type UnitSchedule,
  type UnitStats,
  type UnitStatus,
  type UnitWorkflowInput,
  unitWorkflowId,
} from './protocol.js';
export {
  bundleKeepsyncWorkflows,
  createKeepsyncWorker,
  type KeepsyncWorkerOptions,
  keepsyncDataConverter,
  keepsyncFailureConverterPath,
  keepsyncWorkflowsPath,
} from './worker.js';
