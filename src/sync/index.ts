export type {
  ConnectorTelemetry,
  Destination,
  DestinationSession,
  ReadOptions,
  SessionContext,
  Source,
  SourceMode,
  SourcePage,
  SourceUnit,
  WriteOp,
  WriteResult,
} from './contracts.js';
