import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files start with a dot and end in `.tmp`, so readers skip them and truncate finds them. */
export function isTempFile(fileName: string): boolean {
  return fileName.startsWith('.') && fileName.endsWith('.tmp');
}

/** Random per process, so two writers never pick the same temp name; counted within it. */
const tempPrefix = randomBytes(6).toString('hex');
let tempCount = 0;

/** A fresh temp file name beside `path`, one `isTempFile` recognises. */
export function tempPathFor(path: string): string {
  tempCount++;
  return join(dirname(path), `.${basename(path)}.${tempPrefix}${tempCount.toString(36)}.tmp`);
}

/**
 * Replaces a file's content all at once: the text goes to a temp file in the same directory,
 * is flushed to disk, then renamed over the target. A crash leaves the old file or the new
 * one, never half of either.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Makes renames in a directory durable; skipped where directories cannot be synced. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) refuse to open or sync a directory; the renames still happened.
  } finally {
    await handle?.close();
  }
}
