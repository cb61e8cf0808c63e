export { sha256 } from './digest.js';
export {
  RateLimiter,
  type RateLimiterOptions,
  rateLimiterFor,
  type ScheduleOptions,
} from './rate-limiter.js';
export {
  parseRetryAfter,
  RetryableError,
  type RetryOptions,
  sleep,
  withRetry,
} from './retry.js';
export {
  createSecretBox,
  generateSecretKey,
  parseSecretKey,
  type SecretBox,
} from './secret-box.js';
