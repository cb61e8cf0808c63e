export { type HttpFailure, httpFailureOf, isTransientStatus } from './http-status.js';
export { importPeer } from './peer.js';
