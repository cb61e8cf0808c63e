import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type Cursor, KeepsyncError, RecordError, type SyncRecord } from '../../model/index.js';
import {
  checkOptions,
  type MissingCheck,
  optionsSchema,
  type ReadOptions,
  type Source,
  type SourcePage,
  type UnreadableRecord,
} from '../../sync/index.js';
import { parseRecordFile } from './format.js';
import { type FileFormat, formatOfFile } from './naming.js';

export interface FilesSourceOptions {
  /** Directory holding one YAML or JSON file per record. */
  dir: string;
  /** Read only files of this format; by default both, told apart by extension (.yaml/.yml/.json). */
  format?: FileFormat;
  /** Records per page. @default 500 */
  pageSize?: number;
  /** Id of the one unit this source has. @default dir */
  unit?: string;
  /** @default 'files' */
  name?: string;
}

/** Files read at once while filling a page: enough to overlap I/O, well below fd limits. */
const READ_CONCURRENCY = 32;

/**
 * Reads a directory of record files (as the files destination writes them) in file-name
 * order. Every pass lists every file (`full` mode); the cursor is the last file name read,
 * so a pass interrupted by a crash resumes after it. Files starting with `.` are skipped.
 */
const sourceSchema = optionsSchema<FilesSourceOptions>({
  dir: z.string({ message: 'the directory of record files is required' }).min(1),
  format: z.enum(['yaml', 'json']).optional(),
  pageSize: z.number().optional(),
  unit: z.string().min(1).optional(),
  name: z.string().optional(),
});

export function source(options: FilesSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'files.source');
  const unit = options.unit ?? options.dir;
  const pageSize = options.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`pageSize\` to be a positive integer, got ${pageSize}`,
    );
  }
  return {
    name: options.name ?? 'files',
    mode: 'full',
    units: () => [{ id: unit }],
    read: (unitId, readOptions) => readDirectory(options, pageSize, unit, unitId, readOptions),
    confirmMissing: (unitId, keys) => {
      checkUnit(options, unit, unitId);
      return confirmMissing(options, keys);
    },
  };
}

/**
 * Reads every record file again and keeps the wanted keys: file names need not follow keys,
 * so a key is gone only when no file in the directory holds it.
 */
async function confirmMissing(
  options: FilesSourceOptions,
  keys: readonly string[],
): Promise<MissingCheck> {
  const names = await listRecordFiles(options);
  const wanted = new Set(keys);
  const found = new Map<string, SyncRecord>();
  // A file that no longer parses still holds its record: neither found nor gone, so it stays.
  const unreadable = new Set<string>();
  for (let index = 0; index < names.length; index += READ_CONCURRENCY) {
    const batch = names.slice(index, index + READ_CONCURRENCY);
    for (const file of await Promise.all(batch.map((name) => readRecord(options.dir, name)))) {
      if ('record' in file) {
        if (wanted.has(file.record.key)) found.set(file.record.key, file.record);
      } else if (wanted.has(file.key)) unreadable.add(file.key);
    }
  }
  return {
    gone: keys.filter((key) => !found.has(key) && !unreadable.has(key)),
    found: [...found.values()],
  };
}

function checkUnit(options: FilesSourceOptions, unit: string, unitId: string): void {
  if (unitId !== unit) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `The files source of ${options.dir} has no unit ${unitId}; its unit is ${unit}`,
    );
  }
}

async function* readDirectory(
  options: FilesSourceOptions,
  pageSize: number,
  unit: string,
  unitId: string,
  { cursor, keys, signal }: ReadOptions,
): AsyncGenerator<SourcePage> {
  checkUnit(options, unit, unitId);
  // A targeted read lists everything and keeps the wanted keys, as file names need not follow keys.
  const wanted = keys ? new Set(keys) : null;
  const after = wanted ? null : lastFileName(cursor, options.dir);
  const names = (await listRecordFiles(options)).filter((name) => after === null || name > after);
  for (let start = 0; start < names.length; start += pageSize) {
    signal?.throwIfAborted();
    const pageNames = names.slice(start, start + pageSize);
    const read: ReadFile[] = [];
    for (let index = 0; index < pageNames.length; index += READ_CONCURRENCY) {
      const batch = pageNames.slice(index, index + READ_CONCURRENCY);
      read.push(...(await Promise.all(batch.map((name) => readRecord(options.dir, name)))));
    }
    const records = read.flatMap((file) => ('record' in file ? [file.record] : []));
    const unreadable = read.flatMap((file) => ('error' in file ? [file] : []));
    if (wanted) {
      const kept = records.filter((record) => wanted.has(record.key));
      const failed = unreadable.filter((file) => wanted.has(file.key));
      if (kept.length > 0 || failed.length > 0) yield { records: kept, unreadable: failed, cursor };
    } else {
      yield { records, unreadable, cursor: pageNames.at(-1)!, expectedTotal: names.length };
    }
  }
}

function lastFileName(cursor: Cursor, dir: string): string | null {
  if (cursor === null || typeof cursor === 'string') return cursor;
  throw new KeepsyncError(
    'CURSOR_INVALID',
    `The cursor of the files source ${dir} should be a file name, got ${JSON.stringify(cursor)}; run \`keepsync reset\` to read from the start`,
  );
}

async function listRecordFiles(options: FilesSourceOptions): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(options.dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `The files source directory ${options.dir} does not exist`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  return entries
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .filter((name) => {
      const format = formatOfFile(name);
      return format !== null && (options.format === undefined || format === options.format);
    })
    .sort();
}

type ReadFile = { readonly record: SyncRecord } | UnreadableRecord;

/** One file's record; a file that does not parse is that record's error, not the whole run's. */
async function readRecord(dir: string, name: string): Promise<ReadFile> {
  const path = join(dir, name);
  const key = keyOfFileName(name);
  try {
    const content = parseRecordFile(await readFile(path, 'utf8'), formatOfFile(name)!, path, key);
    return {
      record: {
        key: content.key,
        fields: content.fields,
        body: content.body,
        updatedAt: content.updatedAt ?? (await stat(path)).mtime,
      },
    };
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    return { key: error.key ?? key, error: error.message };
  }
}

/** The key a file stands for when it names none: its name without the extension, decoded. */
function keyOfFileName(name: string): string {
  const stem = name.slice(0, name.lastIndexOf('.'));
  try {
    return decodeURIComponent(stem);
  } catch {
    return stem;
  }
}
