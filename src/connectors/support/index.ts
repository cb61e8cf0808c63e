export { ForbiddenError, forbiddenObjectResult } from './forbidden.js';
export { type HttpFailure, httpFailureOf, isTransientStatus } from './http-status.js';
export { importPeer } from './peer.js';
export { queueSignal } from './signal.js';
export { waitClock } from './wait-clock.js';
