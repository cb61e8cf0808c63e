export { type VerifyOptions, type VerifyResult, verifyPipeline } from './verify.js';
