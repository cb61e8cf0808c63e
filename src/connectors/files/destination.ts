import type { Dirent } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { describeError, isKeepsyncError, KeepsyncError, RecordError } from '../../model/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type ListedObject,
  optionsSchema,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import { isTempFile, syncDirectory, writeFileAtomic } from './atomic-write.js';
import {
  parseRecordFile,
  plainFields,
  type RecordFileContent,
  serializeRecordFile,
} from './format.js';
import { mapInLanes } from './lanes.js';
import { type FileFormat, fileNameForKey, formatOfFile } from './naming.js';

export interface FilesDestinationOptions {
  /** Directory holding one file per record, named after its key; created when missing. */
  dir: string;
  /** Format of the files written. @default 'yaml' */
  format?: FileFormat;
  /**
   * Sub-directory of `dir` that archived records move to, content kept. An update of an
   * archived record moves it back; readers of `dir` (the files source) do not list it.
   * @default '.archive'
   */
  archiveDir?: string;
  /** @default 'files' */
  name?: string;
}

const LIST_PAGE = 500;

interface ResolvedOptions {
  readonly name: string;
  readonly dir: string;
  readonly archive: string;
  readonly format: FileFormat;
}

/**
 * Writes one YAML or JSON file per record. The destination id is the file name, derived from
 * the key, so lookup() finds records written before a crash. Every write is atomic, and a
 * write that would not change a file's bytes leaves the file alone.
 */
const destinationSchema = optionsSchema<FilesDestinationOptions>({
  dir: z.string({ message: 'the directory to write records to is required' }).min(1),
  format: z.unknown().optional(),
  archiveDir: z.string().min(1).optional(),
  name: z.string().optional(),
});

export function destination(options: FilesDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'files.destination');
  const resolved = resolveOptions(options);
  return {
    name: resolved.name,
    async open() {
      await mkdir(resolved.dir, { recursive: true });
      return createSession(resolved);
    },
    truncate: () => truncate(resolved),
    list: () => listFiles(resolved),
  };
}

/**
 * Every record file, live ones then archived ones, read back as listed objects; a file that
 * no longer parses (edited by hand into nonsense) is listed without its key's content, so
 * verification counts it as changed and a repair writes it again.
 */
async function* listFiles(options: ResolvedOptions): AsyncGenerator<ListedObject[]> {
  for (const [dir, archived] of [
    [options.dir, false],
    [options.archive, true],
  ] as const) {
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true }))
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map((entry) => entry.name)
        .filter((name) => formatOfFile(name) !== null);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue;
      throw error;
    }
    for (let start = 0; start < names.length; start += LIST_PAGE) {
      const page = names.slice(start, start + LIST_PAGE);
      yield await mapInLanes(
        page,
        (name) => name,
        async (name): Promise<ListedObject> => {
          const path = join(dir, name);
          try {
            const content = parseRecordFile(
              await readFile(path, 'utf8'),
              formatOfFile(name)!,
              path,
            );
            return {
              key: content.key,
              destId: name,
              fields: content.fields,
              body: content.body,
              archived,
            };
          } catch (error) {
            if (!isKeepsyncError(error)) throw error;
            return { key: null, destId: name, fields: {}, archived };
          }
        },
      );
    }
  }
}

function resolveOptions(options: FilesDestinationOptions): ResolvedOptions {
  const format = options.format ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`format\` to be 'yaml' or 'json', got ${JSON.stringify(format)}`,
    );
  }
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new KeepsyncError('CONFIG_INVALID', 'Expected `dir` to be a directory path');
  }
  const archiveDir = options.archiveDir ?? '.archive';
  if (archiveDir === '' || archiveDir === '.' || archiveDir === '..' || /[/\\]/.test(archiveDir)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`archiveDir\` to be one directory name inside \`dir\`, got ${JSON.stringify(archiveDir)}`,
    );
  }
  return {
    name: options.name ?? 'files',
    dir: options.dir,
    archive: join(options.dir, archiveDir),
    format,
  };
}

function createSession(options: ResolvedOptions): DestinationSession {
  return {
    async lookup(keys) {
      const found = new Map<string, string>();
      await mapInLanes(
        keys,
        (key) => key,
        async (key) => {
          const name = fileNameForKey(key, options.format);
          if (
            (await exists(join(options.dir, name))) ||
            (await exists(join(options.archive, name)))
          ) {
            found.set(key, name);
          }
        },
      );
      return found;
    },
    async write(ops) {
      let changed = false;
      const results = await mapInLanes(
        ops,
        (op) => (op.kind === 'create' ? fileNameForKey(op.key, options.format) : op.destId),
        async (op) => {
          try {
            const outcome = await apply(options, op);
            changed ||= outcome.changed;
            return { status: 'ok', destId: outcome.destId } as const;
          } catch (error) {
            return failure(error);
          }
        },
      );
      if (changed) await syncDirectory(options.dir);
      return results;
    },
    async close() {},
  };
}

interface Outcome {
  readonly destId: string;
  /** Whether a file was written, moved or removed. */
  readonly changed: boolean;
}

async function apply(options: ResolvedOptions, op: WriteOp): Promise<Outcome> {
  switch (op.kind) {
    case 'create': {
      const name = fileNameForKey(op.key, options.format);
      const content = {
        key: op.key,
        fields: plainFields(op.key, op.record.fields),
        body: op.record.body,
      };
      return place(
        options,
        name,
        serializeRecordFile(content, options.format),
        await readStored(options, name),
      );
    }
    case 'update': {
      const name = checkedName(op.destId, options);
      const stored = await readStored(options, name);
      const format = formatOfFile(name)!;
      const previous: RecordFileContent | null = stored
        ? parseRecordFile(stored.text, format, stored.path)
        : null;
      // A patch: fields absent from the update keep their stored values.
      const content = {
        key: op.key,
        fields: { ...previous?.fields, ...plainFields(op.key, op.record.fields) },
        body: op.record.body ?? previous?.body,
      };
      return place(options, name, serializeRecordFile(content, format), stored);
    }
    case 'archive': {
      const name = checkedName(op.destId, options);
      await mkdir(options.archive, { recursive: true });
      try {
        await rename(join(options.dir, name), join(options.archive, name));
      } catch (error) {
        // Already archived or removed by hand: the object is not in the live directory either way.
        if (errorCode(error) === 'ENOENT') return { destId: name, changed: false };
        throw error;
      }
      return { destId: name, changed: true };
    }
    case 'delete': {
      const name = checkedName(op.destId, options);
      await rm(join(options.dir, name), { force: true });
      await rm(join(options.archive, name), { force: true });
      return { destId: name, changed: true };
    }
  }
}

interface StoredFile {
  readonly path: string;
  readonly text: string;
  readonly archived: boolean;
}

/** Writes the live file unless it already holds these bytes; an archived copy is dropped. */
async function place(
  options: ResolvedOptions,
  name: string,
  text: string,
  stored: StoredFile | null,
): Promise<Outcome> {
  if (stored && !stored.archived && stored.text === text) return { destId: name, changed: false };
  await writeFileAtomic(join(options.dir, name), text);
  if (stored?.archived) await rm(stored.path, { force: true });
  return { destId: name, changed: true };
}

async function readStored(options: ResolvedOptions, name: string): Promise<StoredFile | null> {
  for (const [dir, archived] of [
    [options.dir, false],
    [options.archive, true],
  ] as const) {
    const path = join(dir, name);
    try {
      return { path, text: await readFile(path, 'utf8'), archived };
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
  return null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** A destination id comes from the store; it must still name a record file inside `dir`. */
function checkedName(destId: string, options: ResolvedOptions): string {
  if (
    destId !== basename(destId) ||
    /[/\\]/.test(destId) ||
    destId.startsWith('.') ||
    formatOfFile(destId) === null
  ) {
    throw new RecordError(
      `destination id ${JSON.stringify(destId)} is not a record file name in ${options.dir}`,
      {},
    );
  }
  return destId;
}

/** Bad content is refused for good; file-system errors (full disk, locks) may pass. */
function failure(error: unknown): WriteResult {
  if (isKeepsyncError(error)) return { status: 'rejected', error: error.message };
  return { status: 'retryable', error: describeError(error) };
}

async function truncate(options: ResolvedOptions): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(options.dir, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const owned = entries.filter(
    (entry) =>
      entry.isFile() &&
      (isTempFile(entry.name) ||
        (!entry.name.startsWith('.') && formatOfFile(entry.name) === options.format)),
  );
  await Promise.all(owned.map((entry) => rm(join(options.dir, entry.name), { force: true })));
  await rm(options.archive, { recursive: true, force: true });
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
