import { z } from 'zod';
import { anyObject, optionsSchema } from '../../sync/index.js';
import type { NotionDestinationOptions } from './destination.js';
import type { NotionMcpDestinationOptions } from './mcp-destination.js';
import type { NotionSourceOptions } from './source.js';

// `{ token }` or `{ oauth }`: the connector tells them apart and names what is missing.
const auth = anyObject();

export const sourceSchema = optionsSchema<NotionSourceOptions>({
  dataSourceIds: z.array(z.string()).optional(),
  databaseIds: z.array(z.string()).optional(),
  auth,
  keyProperty: z.string().optional(),
  requestsPerSecond: z.number().optional(),
  pageSize: z.number().optional(),
  baseUrl: z.string().optional(),
  timeoutMs: z.number().optional(),
  client: anyObject().optional(),
  name: z.string().optional(),
});

export const destinationSchema = optionsSchema<NotionDestinationOptions>({
  dataSourceId: z.string().optional(),
  databaseId: z.string().optional(),
  auth,
  // Property types are checked, by name, where the properties are resolved.
  properties: z.record(
    z.string(),
    z.union([z.string(), z.strictObject({ type: z.string(), field: z.string().optional() })]),
  ),
  keyProperty: z
    .union([z.string(), z.strictObject({ name: z.string(), type: z.string() })])
    .optional(),
  createMissingProperties: z.boolean().optional(),
  body: z.boolean().optional(),
  trashedPages: z.enum(['restore', 'leave']).optional(),
  requestsPerSecond: z.number().optional(),
  concurrency: z.number().optional(),
  retries: z.number().optional(),
  recoveryWindowMs: z.number().optional(),
  baseUrl: z.string().optional(),
  timeoutMs: z.number().optional(),
  client: anyObject().optional(),
  name: z.string().optional(),
});

export const mcpDestinationSchema = optionsSchema<NotionMcpDestinationOptions>({
  url: z.string().optional(),
  // Its two shapes are told apart, and named, by the MCP connection check.
  auth: anyObject(),
  dataSourceId: z.string({ message: 'the data source pages are created in is required' }),
  keyProperty: z.string({ message: 'the text property holding the record key is required' }),
  properties: z.record(
    z.string(),
    z.union([z.string(), z.strictObject({ name: z.string(), type: z.string() })]),
  ),
  archiveProperty: z.string().optional(),
  requestsPerSecond: z.number().optional(),
  concurrency: z.number().optional(),
  retries: z.number().optional(),
  minDelayMs: z.number().optional(),
  lookupCandidates: z.number().optional(),
  allowHosts: z.array(z.string()).optional(),
  allowLoopback: z.boolean().optional(),
  name: z.string().optional(),
});
