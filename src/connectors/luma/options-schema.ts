import { z } from 'zod';
import { fn, optionsSchema } from '../../sync/index.js';
import type { LumaDestinationOptions } from './destination.js';
import type { LumaSourceOptions } from './source.js';

/** LumaConnection, shared by both sides, and their name. */
const connection = {
  apiKey: z.string({ message: 'a Luma calendar API key is required' }),
  baseUrl: z.string().optional(),
  requestsPerMinute: z.number().optional(),
  retries: z.number().optional(),
  retryMinDelayMs: z.number().optional(),
  timeoutMs: z.number().optional(),
  name: z.string().optional(),
};

export const sourceSchema = optionsSchema<LumaSourceOptions>({
  lookbackDays: z.number().optional(),
  hosts: z.boolean().optional(),
  pageSize: z.number().optional(),
  now: fn().optional(),
  ...connection,
});

export const destinationSchema = optionsSchema<LumaDestinationOptions>({
  nameField: z.string().optional(),
  startField: z.string().optional(),
  endField: z.string().optional(),
  timezone: z.string().optional(),
  // A Date or a date string; the destination names a value that is neither.
  defaultStartAt: z.unknown().optional(),
  ...connection,
});
