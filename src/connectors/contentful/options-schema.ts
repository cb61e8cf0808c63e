import { z } from 'zod';
import { anyObject, optionsSchema } from '../../sync/index.js';
import type { ContentfulDestinationOptions } from './destination.js';
import type { ContentfulMcpDestinationOptions } from './mcp-destination.js';
import type { ContentfulSourceOptions } from './source.js';

const target = z.union([z.string(), z.strictObject({ field: z.string(), locale: z.string() })]);

export const sourceSchema = optionsSchema<ContentfulSourceOptions>({
  api: z.literal('delivery').optional(),
  space: z.string({ message: 'the space id is required' }),
  environment: z.string().optional(),
  // With `client` no token is needed: the source checks that itself.
  accessToken: z.string().optional(),
  contentTypes: z.array(z.string()).optional(),
  locale: z.string().optional(),
  pageSize: z.number().optional(),
  baseUrl: z.string().optional(),
  requestsPerSecond: z.number().optional(),
  retries: z.number().optional(),
  timeoutMs: z.number().optional(),
  client: anyObject().optional(),
  name: z.string().optional(),
});

export const destinationSchema = optionsSchema<ContentfulDestinationOptions>({
  space: z.string({ message: 'the space id is required' }),
  environment: z.string().optional(),
  accessToken: z.string().optional(),
  contentType: z.string({ message: 'the content type entries are created with is required' }),
  fields: z.record(z.string(), target),
  bodyField: z.string().optional(),
  locale: z.string().optional(),
  publish: z.boolean().optional(),
  baseUrl: z.string().optional(),
  requestsPerSecond: z.number().optional(),
  burst: z.number().optional(),
  concurrency: z.number().optional(),
  retries: z.number().optional(),
  timeoutMs: z.number().optional(),
  client: anyObject().optional(),
  name: z.string().optional(),
});

export const mcpDestinationSchema = optionsSchema<ContentfulMcpDestinationOptions>({
  url: z.string().optional(),
  // Its two shapes are told apart, and named, by the MCP connection check.
  auth: anyObject(),
  space: z.string({ message: 'the space id is required' }),
  environment: z.string().optional(),
  contentType: z.string({ message: 'the content type entries are created with is required' }),
  keyField: z.string({ message: 'the Symbol field holding the record key is required' }),
  fields: z.record(z.string(), target),
  bodyField: z.string().optional(),
  locale: z.string().optional(),
  publish: z.boolean().optional(),
  requestsPerSecond: z.number().optional(),
  concurrency: z.number().optional(),
  retries: z.number().optional(),
  minDelayMs: z.number().optional(),
  allowHosts: z.array(z.string()).optional(),
  allowLoopback: z.boolean().optional(),
  name: z.string().optional(),
});
