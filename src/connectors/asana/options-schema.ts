import { z } from 'zod';
import { anyObject, optionsSchema } from '../../sync/index.js';
import type { AsanaDestinationOptions } from './destination.js';

const customField = z.strictObject({ customField: z.string() });

export const destinationSchema = optionsSchema<AsanaDestinationOptions>({
  projectGid: z.string({ message: 'the project tasks are created in is required' }),
  // `type` is checked by the destination, which names the two kinds.
  auth: z.strictObject({ token: z.string(), type: z.string().optional() }),
  fields: z.record(z.string(), z.union([z.string(), customField])),
  key: z.union([z.literal('external'), customField]).optional(),
  body: z.boolean().optional(),
  requestsPerSecond: z.number().optional(),
  retries: z.number().optional(),
  basePath: z.string().optional(),
  timeoutMs: z.number().optional(),
  client: anyObject().optional(),
  name: z.string().optional(),
});
