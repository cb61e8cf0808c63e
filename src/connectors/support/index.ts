export { type HttpFailure, httpFailureOf, isTransientStatus } from './http-status.js';
export { waitForSlot } from './pacer.js';
export { importPeer } from './peer.js';
export { queueSignal } from './signal.js';
export { waitClock } from './wait-clock.js';
