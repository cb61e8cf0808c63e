export * from './config/index.js';
export * from './copy/index.js';
export * from './engine/index.js';
export * from './model/index.js';
export {
  parseRetryAfter,
  RateLimiter,
  type RateLimiterOptions,
  RetryableError,
  type RetryOptions,
  rateLimiterFor,
  withRetry,
} from './net/index.js';
export * from './store/index.js';
export * from './sync/index.js';
export * from './twoway/index.js';
