import { z } from 'zod';
import { checkOptions, optionsSchema } from '../../sync/index.js';
import { sideFrom, type TwoWaySide } from '../../twoway/index.js';
import { destination } from './destination.js';
import type { FileFormat } from './naming.js';
import { source } from './source.js';

export interface FilesTwoWayOptions {
  /** Directory of one record file per object, named after its key (`fileNameForKey`). */
  dir: string;
  /** Format of files keepsync creates; both formats are read. @default 'yaml' */
  format?: FileFormat;
  /** @default 'files' */
  name?: string;
}

const twoWaySchema = optionsSchema<FilesTwoWayOptions>({
  dir: z.string({ message: 'the directory of record files is required' }),
  format: z.enum(['yaml', 'json']).optional(),
  name: z.string().optional(),
});

/**
 * A directory of YAML/JSON record files as one side of a two-way task. Every run lists the
 * whole directory (a file gone means the object was deleted); `updatedAt` is the file's own
 * `updatedAt` or its modification time. Writes patch the synced fields of a file and keep
 * the rest of it. Files must be named after their key, as keepsync names the ones it writes.
 */
export function twoWaySide(options: FilesTwoWayOptions): TwoWaySide {
  checkOptions(twoWaySchema, options ?? {}, 'files.twoWaySide');
  const name = options.name ?? 'files';
  return sideFrom({
    source: source({ dir: options.dir, name }),
    destination: destination({ dir: options.dir, format: options.format, name }),
    name,
  });
}
