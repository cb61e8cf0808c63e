export { canonicalJson, quoteJsonString } from './canonical.js';
export { type Cursor, type JsonValue, parseCursor, serializeCursor } from './cursor.js';
export {
  AuthError,
  describeError,
  isAuthError,
  isKeepsyncError,
  isQuotaExhausted,
  KeepsyncError,
  type KeepsyncErrorCode,
  type KeepsyncErrorOptions,
  QuotaExhaustedError,
  RecordError,
} from './errors.js';
export {
  compareHlc,
  formatHlc,
  Hlc,
  type HlcOptions,
  type HlcTimestamp,
  isHlc,
  parseHlc,
} from './hlc.js';
export {
  assertValidRecord,
  type Fields,
  type NeutralValue,
  recordFromJson,
  recordToJson,
  type SyncRecord,
} from './record.js';
export { sameNames } from './same-names.js';
