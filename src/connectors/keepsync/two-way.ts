import { checkOptions } from '../../sync/index.js';
import { sideFrom, type TwoWaySide } from '../../twoway/index.js';
import { checkCollection, type KeepsyncConnectionOptions } from './connection.js';
import { destination } from './destination.js';
import { twoWaySchema } from './options-schema.js';
import { source } from './source.js';

export interface KeepsyncTwoWayOptions extends KeepsyncConnectionOptions {
  /** The collection kept merged with the other side; doc_ids are the keys. */
  collection: string;
  /** Documents or oplog entries per read page. @default 500 */
  pageSize?: number | undefined;
}

/**
 * One collection of the offline server as a side of a two-way task. Reads are incremental
 * (the oplog since the last run; the first run lists every document), deletions arrive as
 * tombstones, and `updatedAt` (for the `newer` rule) is the wall time of each document's HLC
 * version. Writes patch the synced fields through the server's write path, so clients
 * receive them, and keep the document's other fields.
 */
export function twoWaySide(options: KeepsyncTwoWayOptions): TwoWaySide {
  checkOptions(twoWaySchema, options ?? {}, 'keepsync.twoWaySide');
  const collection = checkCollection(options.collection);
  const name = options.name ?? 'keepsync';
  const { pageSize, ...connection } = options;
  return sideFrom({
    source: source({ ...connection, pageSize, name, collection }),
    destination: destination({ ...connection, name, collection }),
    unit: collection,
    mode: 'incremental',
    name,
  });
}
