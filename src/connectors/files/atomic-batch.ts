import { closeSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { syncDirectory, tempPathFor } from './atomic-write.js';
import { flushDescriptors } from './flush-workers.js';

export interface AtomicFile {
  readonly path: string;
  readonly text: string;
}

interface PendingFile {
  readonly file: AtomicFile;
  readonly temp: string;
  fd: number | undefined;
  error: Error | undefined;
}

/**
 * Replaces many files, each atomically and durably, as `writeFileAtomic` does one: every text
 * goes to a temp file in its target's directory, all temp files are flushed to disk, then each
 * is renamed over its target and every directory holding one is synced. A crash leaves each
 * file old or new, never half. Cheaper per file than one `writeFileAtomic` each: the small
 * writes and renames run directly (a page-cache operation costs less than a hand-off to the
 * flush threads), and only the flushes, which wait on the disk, go to those threads, many at
 * once.
 * The event loop is held while a batch's texts are written, so keep batches to a few hundred.
 *
 * Resolves with one entry per file, in order: `undefined` once it is in place, or why it
 * could not be written (its temp file removed, the target untouched).
 */
export async function writeFilesAtomic(
  files: readonly AtomicFile[],
): Promise<Array<Error | undefined>> {
  const pending: PendingFile[] = files.map((file) => ({
    file,
    temp: tempPathFor(file.path),
    fd: undefined,
    error: undefined,
  }));
  for (const entry of pending) {
    try {
      entry.fd = openSync(entry.temp, 'wx');
      writeFileSync(entry.fd, entry.file.text, 'utf8');
    } catch (error) {
      fail(entry, error);
    }
  }
  // Every flush is handed over at once: the flush threads then never wait for the event loop
  // (busy writing the next batch, say), and the file system commits concurrent flushes together.
  const open = pending.filter((entry) => entry.fd !== undefined);
  const flushErrors = await flushDescriptors(open.map((entry) => entry.fd!));
  open.forEach((entry, index) => {
    const error = flushErrors[index];
    if (error) fail(entry, error);
  });
  const renamedIn = new Set<string>();
  for (const entry of pending) {
    if (entry.fd === undefined) continue;
    try {
      closeSync(entry.fd);
      entry.fd = undefined;
      renameSync(entry.temp, entry.file.path);
      renamedIn.add(dirname(entry.file.path));
    } catch (error) {
      fail(entry, error);
    }
  }
  for (const dir of renamedIn) await syncDirectory(dir);
  return pending.map((entry) => entry.error);
}

/** Records the first error of a file, closes its temp file and removes it. */
function fail(entry: PendingFile, error: unknown): void {
  entry.error ??= error instanceof Error ? error : new Error(String(error));
  if (entry.fd !== undefined) {
    try {
      closeSync(entry.fd);
    } catch {
      // The descriptor is unusable either way; the temp file is removed below.
    }
    entry.fd = undefined;
  }
  try {
    rmSync(entry.temp, { force: true });
  } catch {
    // Left behind, it is still a temp file: readers skip it, the file's error is what counts.
  }
}
