import { z } from 'zod';
import { anyObject, optionsSchema } from '../../sync/index.js';
import type { JiraDestinationOptions } from './destination.js';
import type { JiraSourceOptions } from './source.js';

/** How both sides reach a site (JiraConnectionOptions), and their name. */
const connection = {
  // Basic or OAuth; checkConnection tells them apart and names what is missing.
  auth: anyObject(),
  baseUrl: z.string().optional(),
  client: anyObject().optional(),
  timeoutMs: z.number().optional(),
  requestsPerSecond: z.number().optional(),
  burst: z.number().optional(),
  retries: z.number().optional(),
  name: z.string().optional(),
};

export const sourceSchema = optionsSchema<JiraSourceOptions>({
  queries: z.record(z.string(), z.string()).optional(),
  projects: z.array(z.string()).optional(),
  siteUrl: z.string().optional(),
  mode: z.enum(['incremental', 'full']).optional(),
  fields: z.array(z.string()).optional(),
  overlapMs: z.number().optional(),
  pageSize: z.number().optional(),
  ...connection,
});

export const destinationSchema = optionsSchema<JiraDestinationOptions>({
  projectKey: z.string({ message: 'the project issues are created in is required' }),
  issueType: z.string().optional(),
  fields: z.record(
    z.string(),
    z.union([z.string(), z.strictObject({ customField: z.string(), type: z.string().optional() })]),
  ),
  body: z.boolean().optional(),
  propertyKey: z.string().optional(),
  recoverWindowMs: z.number().optional(),
  concurrency: z.number().optional(),
  ...connection,
});
