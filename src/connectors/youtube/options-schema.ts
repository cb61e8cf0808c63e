import { z } from 'zod';
import { anyObject, fn, optionsSchema } from '../../sync/index.js';
import type { YouTubeSourceOptions } from './source.js';

export const sourceSchema = optionsSchema<YouTubeSourceOptions>({
  channels: z.array(z.string(), { message: 'the channels to read are required' }),
  // With `client` no key is needed: the source checks that itself.
  apiKey: z.string().optional(),
  lookbackDays: z.number().optional(),
  rootUrl: z.string().optional(),
  requestsPerSecond: z.number().optional(),
  retries: z.number().optional(),
  retryMinDelayMs: z.number().optional(),
  timeoutMs: z.number().optional(),
  client: anyObject().optional(),
  now: fn().optional(),
  name: z.string().optional(),
});
