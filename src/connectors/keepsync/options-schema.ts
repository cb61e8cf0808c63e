import { z } from 'zod';
import { anyObject, optionsSchema } from '../../sync/index.js';
import type { KeepsyncDestinationOptions } from './destination.js';
import type { KeepsyncSourceOptions } from './source.js';
import type { KeepsyncTwoWayOptions } from './two-way.js';

/** KeepsyncConnectionOptions; `connect` says which of `server` and `store` to give. */
const connection = {
  server: anyObject().optional(),
  store: anyObject().optional(),
  scope: z.string({ message: 'the tenant to sync is required' }),
  actor: z.string().optional(),
  name: z.string().optional(),
};

// Collection names are checked by checkCollection, which says what a name may hold.
export const sourceSchema = optionsSchema<KeepsyncSourceOptions>({
  collection: z.string().optional(),
  collections: z.array(z.string()).optional(),
  pageSize: z.number().optional(),
  ...connection,
});

export const destinationSchema = optionsSchema<KeepsyncDestinationOptions>({
  collection: z.string({ message: 'the collection records are written to is required' }),
  ...connection,
});

export const twoWaySchema = optionsSchema<KeepsyncTwoWayOptions>({
  collection: z.string({ message: 'the collection kept merged is required' }),
  pageSize: z.number().optional(),
  ...connection,
});
