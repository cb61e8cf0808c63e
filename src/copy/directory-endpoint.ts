import { type Dirent, mkdirSync } from 'node:fs';
import { readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  type AtomicFile,
  type FileFormat,
  fileNameForKey,
  formatOfFile,
  parseText,
  syncDirectory,
  writeFilesAtomic,
} from '../connectors/files/index.js';
import { type JsonValue, KeepsyncError, RecordError } from '../model/index.js';
import { expandDocument } from './documents.js';
import type {
  CopyChange,
  CopyEndpoint,
  CopyFailure,
  CopyReadContext,
  CopyTargetSession,
} from './endpoint.js';
import { runPool } from './pool.js';
import type { CopyResource, ResourceHead } from './resource.js';
import { resourceFileText } from './serialize.js';

/** Files read or removed at once: enough to overlap I/O, well below descriptor limits. */
const FILE_CONCURRENCY = 16;

/**
 * Files written and made durable together (`writeFilesAtomic`): their flushes overlap and each
 * directory is synced once a batch, not once a file. A few hundred keeps the event loop's
 * pauses short and the open descriptors well below limits.
 */
const WRITE_BATCH = 256;

/** Batches at once: the next one's files are written while the one before is flushed. */
const BATCHES_AT_ONCE = 2;

/**
 * A directory tree with one file per resource, `<type>/<id>.yaml` (or `.json`): small files
 * with sorted keys, so version control shows each change as a small diff. Every `.yaml`,
 * `.yml` and `.json` file below the directory is read; files starting with `.` are not.
 */
export function directoryEndpoint(dir: string, format: FileFormat = 'yaml'): CopyEndpoint {
  const pathOf = (resource: ResourceHead) =>
    join(typeDirectory(resource.type), fileNameForKey(resource.id, format));
  return {
    label: dir,
    ordered: false,
    async *read(context) {
      if (!(await isDirectory(dir))) {
        throw new KeepsyncError('NOT_FOUND', `The origin directory ${dir} does not exist`);
      }
      for await (const { resources } of readTree(dir, context)) yield* resources;
    },
    async open(context) {
      const existing = new Map<string, string>();
      const paths = new Map<string, string>();
      if (await isDirectory(dir)) {
        for await (const { path, resources } of readTree(dir, context)) {
          if (resources.length !== 1) {
            throw new RecordError(
              `${join(dir, path)} holds ${resources.length} resources; a directory destination keeps one resource per file`,
              {},
            );
          }
          const resource = resources[0]!;
          const other = paths.get(resource.key);
          if (other !== undefined) {
            throw new RecordError(
              `${join(dir, other)} and ${join(dir, path)} both hold ${resource.key}; remove one`,
              { key: resource.key },
            );
          }
          paths.set(resource.key, path);
          // A file where the resource belongs is known by its hash alone; one elsewhere (by
          // hand, another format) never matches, so it is written where it belongs.
          existing.set(
            resource.key,
            path === pathOf(resource) ? resource.hash : `${resource.hash} ${path}`,
          );
        }
      } else if (await exists(dir)) {
        throw new KeepsyncError('CONFIG_INVALID', `${dir} is not a directory`);
      }
      return createSession(dir, format, existing, paths, pathOf);
    },
  };
}

function createSession(
  dir: string,
  format: FileFormat,
  existing: ReadonlyMap<string, string>,
  existingPaths: ReadonlyMap<string, string>,
  pathOf: (resource: ResourceHead) => string,
): CopyTargetSession {
  return {
    existing,
    fingerprint: (resource) => resource.hash,
    async apply(plan, context) {
      const failures: CopyFailure[] = [];
      const touched = new Set<string>();
      const changes = plan.layers.flat();
      const batches: CopyChange[][] = [];
      for (let start = 0; start < changes.length; start += WRITE_BATCH) {
        batches.push(changes.slice(start, start + WRITE_BATCH));
      }
      const writeBatch = async (batch: readonly CopyChange[]): Promise<void> => {
        const files: AtomicFile[] = [];
        const paths: string[] = [];
        const keys: string[] = [];
        const made = new Set<string>();
        for (const { resource } of batch) {
          const path = pathOf(resource);
          try {
            const sub = dirname(path);
            if (!made.has(sub)) mkdirSync(join(dir, sub), { recursive: true });
            made.add(sub);
            files.push({
              path: join(dir, path),
              text: resourceFileText(resource.readText(), format),
            });
            paths.push(path);
            keys.push(resource.key);
          } catch (error) {
            failures.push({
              key: resource.key,
              error: `${join(dir, path)}: ${(error as Error).message}`,
            });
            context.onProgress();
          }
        }
        const errors = await writeFilesAtomic(files);
        for (const [index, key] of keys.entries()) {
          const path = paths[index]!;
          const error = errors[index];
          try {
            if (error !== undefined) throw error;
            const previous = existingPaths.get(key);
            // Stored under another name (another format, or placed by hand): one copy is kept.
            if (previous !== undefined && previous !== path)
              await removeFile(dir, previous, touched);
          } catch (error) {
            failures.push({ key, error: `${join(dir, path)}: ${(error as Error).message}` });
          }
          context.onProgress();
        }
      };
      await runPool(batches, BATCHES_AT_ONCE, writeBatch, context.signal);
      await runPool(
        plan.deletes,
        FILE_CONCURRENCY,
        async (key) => {
          const path = existingPaths.get(key)!;
          try {
            await removeFile(dir, path, touched);
          } catch (error) {
            failures.push({ key, error: `${join(dir, path)}: ${(error as Error).message}` });
          }
          context.onProgress();
        },
        context.signal,
      );
      for (const sub of touched) await syncDirectory(join(dir, sub));
      return failures;
    },
  };
}

async function removeFile(dir: string, path: string, touched: Set<string>): Promise<void> {
  await rm(join(dir, path), { force: true });
  touched.add(dirname(path));
  // A type directory left empty goes too; one still holding files stays.
  if (dirname(path) !== '.') await rmdir(join(dir, dirname(path))).catch(() => undefined);
}

/** The directory of a type: its name, with characters unsafe in file names encoded. */
function typeDirectory(type: string): string {
  const name = fileNameForKey(type, 'json');
  return name.slice(0, -'.json'.length);
}

interface TreeFile {
  /** Relative to the tree's root. */
  readonly path: string;
  readonly resources: CopyResource[];
}

/** Every record file below `root`, in path order, a few read at once. */
async function* readTree(root: string, context: CopyReadContext): AsyncGenerator<TreeFile> {
  const files = await listFiles(root);
  for (let start = 0; start < files.length; start += FILE_CONCURRENCY) {
    context.signal?.throwIfAborted();
    const batch = files.slice(start, start + FILE_CONCURRENCY);
    yield* await Promise.all(
      batch.map(async (path) => {
        const full = join(root, path);
        const value = parseText(
          await readFile(full, 'utf8'),
          formatOfFile(path)!,
          full,
        ) as JsonValue;
        return {
          path,
          resources: expandDocument({ value, where: full }, context.schema, { strict: true }),
        };
      }),
    );
  }
}

async function listFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (formatOfFile(entry.name) !== null) found.push(relative(root, full));
    }
  };
  await walk(root);
  // Sorted as `/`-separated paths on every platform; each sort key is built once.
  if (sep === '/') return found.sort();
  return found
    .map((path) => ({ path, order: path.split(sep).join('/') }))
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
    .map(({ path }) => path);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
