import { z } from 'zod';
import { optionsSchema } from '../../sync/index.js';
import type { RestCreateOptions, RestDestinationOptions } from './destination.js';
import type { RestSourceOptions } from './source.js';

/** How both sides pace and retry their requests, and their name. */
const requests = {
  headers: z.record(z.string(), z.string()).optional(),
  requestsPerSecond: z.number().optional(),
  concurrency: z.number().optional(),
  retries: z.number().optional(),
  retryMinDelayMs: z.number().optional(),
  name: z.string().optional(),
};

const pagination = z.discriminatedUnion('style', [
  z.strictObject({ style: z.literal('auto') }),
  z.strictObject({ style: z.literal('link') }),
  z.strictObject({
    style: z.literal('page'),
    param: z.string().optional(),
    first: z.number().optional(),
    sizeParam: z.string().optional(),
    size: z.number().optional(),
  }),
  z.strictObject({ style: z.literal('cursor'), param: z.string(), next: z.string() }),
  z.strictObject({ style: z.literal('none') }),
]);

export const sourceSchema = optionsSchema<RestSourceOptions>({
  url: z.string({ message: 'the listing URL is required' }),
  units: z.array(z.string()).optional(),
  records: z.string().optional(),
  key: z.string().optional(),
  updated: z.string().optional(),
  updatedParam: z.string().optional(),
  pagination: pagination.optional(),
  ...requests,
});

const createSchema = optionsSchema<RestCreateOptions>({
  url: z.string({ message: 'the collection a create is POSTed to is required' }),
  keyField: z.string().optional(),
  idPath: z.string().optional(),
  findUrl: z.string().optional(),
  findRecords: z.string().optional(),
  findIdPath: z.string().optional(),
});

export const destinationSchema = optionsSchema<RestDestinationOptions>({
  url: z.string({ message: "the URL of one record's resource is required" }),
  create: createSchema.optional(),
  method: z.enum(['PUT', 'PATCH']).optional(),
  bodyField: z.string().optional(),
  archive: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .optional(),
  checkUrl: z.string().optional(),
  ...requests,
});
