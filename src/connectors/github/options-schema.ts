import { z } from 'zod';
import { anyObject, fn, optionsSchema } from '../../sync/index.js';
import type { GitHubSourceOptions } from './source.js';

export const sourceSchema = optionsSchema<GitHubSourceOptions>({
  orgs: z.array(z.string()).optional(),
  repos: z.array(z.string()).optional(),
  // A token or an app installation; which one is decided where the client is made.
  auth: anyObject().optional(),
  mode: z.enum(['incremental', 'full']).optional(),
  exclude: z.array(z.string()).optional(),
  readme: z.boolean().optional(),
  enrich: fn().optional(),
  perPage: z.number().optional(),
  baseUrl: z.string().optional(),
  timeoutMs: z.number().optional(),
  retries: z.number().optional(),
  rateLimitRetries: z.number().optional(),
  maxRateLimitWaitMs: z.number().optional(),
  secondaryRateLimitWaitMs: z.number().optional(),
  client: anyObject().optional(),
  name: z.string().optional(),
});
