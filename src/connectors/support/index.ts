export { ForbiddenError, forbiddenObjectResult } from './forbidden.js';
export { type HttpFailure, httpFailureOf, isTransientStatus } from './http-status.js';
export { indexedSession } from './indexed-session.js';
export { importPeer } from './peer.js';
export { type RecordField, type RefuseValue, valueRefuser } from './refuse-value.js';
export {
  createServiceRequester,
  type ServiceCall,
  type ServiceRequester,
  type ServiceRequesterOptions,
} from './service-requester.js';
export { type SettleWrite, type WriteSettlerOptions, writeSettler } from './settle-write.js';
export { queueSignal } from './signal.js';
export {
  installTokenBroker,
  type OAuthConnection,
  oauthConnection,
  oauthConnectionId,
  oauthConnections,
  type RefreshedTokens,
  registerOAuthConnection,
  type StoredTokens,
  type TokenBroker,
  tokenBroker,
} from './token-owner.js';
export { waitClock } from './wait-clock.js';
