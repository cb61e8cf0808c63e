export { ForbiddenError, forbiddenObjectResult } from './forbidden.js';
export { type HttpFailure, httpFailureOf, isTransientStatus } from './http-status.js';
export { importPeer } from './peer.js';
export { type SettleWrite, type WriteSettlerOptions, writeSettler } from './settle-write.js';
export { queueSignal } from './signal.js';
export { waitClock } from './wait-clock.js';
