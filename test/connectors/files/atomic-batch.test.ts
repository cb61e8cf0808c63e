import * as fs from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as flushes from '../../../src/connectors/files/flush-workers.js';
import { writeFilesAtomic } from '../../../src/connectors/files/index.js';
import { tempDir } from './helpers.js';

// Failures are injected into the file system calls the batch makes, and into its flushes
// (which run on worker threads, out of this module's reach).
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    renameSync: vi.fn(actual.renameSync),
    writeFileSync: vi.fn(actual.writeFileSync),
  };
});
vi.mock('../../../src/connectors/files/flush-workers.js', async (importOriginal) => {
  const actual =
    await importOriginal<typeof import('../../../src/connectors/files/flush-workers.js')>();
  return { flushDescriptors: vi.fn(actual.flushDescriptors) };
});
const realFlush = (
  await vi.importActual<typeof import('../../../src/connectors/files/flush-workers.js')>(
    '../../../src/connectors/files/flush-workers.js',
  )
).flushDescriptors;

afterEach(() => {
  vi.mocked(flushes.flushDescriptors).mockReset();
  vi.mocked(flushes.flushDescriptors).mockImplementation(realFlush);
  vi.mocked(fs.renameSync).mockReset();
  vi.mocked(fs.writeFileSync).mockReset();
});

const ioError = (call: string) =>
  Object.assign(new Error(`EIO: i/o error, ${call}`), { code: 'EIO' });

async function threeOldFiles(): Promise<string> {
  const dir = await tempDir();
  await Promise.all(['a', 'b', 'c'].map((name) => writeFile(join(dir, name), `old ${name}`)));
  return dir;
}

const newTexts = (dir: string) =>
  ['a', 'b', 'c'].map((name) => ({ path: join(dir, name), text: `new ${name}` }));

async function contents(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  const found: Record<string, string> = {};
  for (const name of names) found[name] = await readFile(join(dir, name), 'utf8');
  return found;
}

describe('writeFilesAtomic', () => {
  it('replaces every file of the batch and leaves no temp file', async () => {
    const dir = await threeOldFiles();
    const other = await tempDir();
    const files = [...newTexts(dir), { path: join(other, 'd'), text: 'new d' }];
    expect(await writeFilesAtomic(files)).toEqual([undefined, undefined, undefined, undefined]);
    expect(await contents(dir)).toEqual({ a: 'new a', b: 'new b', c: 'new c' });
    expect(await contents(other)).toEqual({ d: 'new d' });
  });

  it('flushes every file before renaming any of them', async () => {
    const dir = await threeOldFiles();
    const calls: string[] = [];
    const actual = await vi.importActual<typeof import('node:fs')>('node:fs');
    vi.mocked(flushes.flushDescriptors).mockImplementation(async (fds) => {
      const errors = await realFlush(fds);
      for (const _ of fds) calls.push('flush');
      return errors;
    });
    vi.mocked(fs.renameSync).mockImplementation((from, to) => {
      calls.push('rename');
      actual.renameSync(from, to);
    });
    await writeFilesAtomic(newTexts(dir));
    expect(calls).toEqual(['flush', 'flush', 'flush', 'rename', 'rename', 'rename']);
  });

  it('keeps the old file of a write that fails, and writes the others', async () => {
    const dir = await threeOldFiles();
    const actual = await vi.importActual<typeof import('node:fs')>('node:fs');
    vi.mocked(fs.writeFileSync).mockImplementation((fd, data, options) => {
      if (data === 'new a') {
        actual.writeFileSync(fd, 'new');
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      actual.writeFileSync(fd, data, options);
    });
    vi.mocked(flushes.flushDescriptors).mockImplementation(async (fds) => {
      // The second file's flush fails (the first open one, as the first failed its write): its
      // data may not be on disk, so it must not be renamed.
      const errors = await realFlush(fds);
      return errors.map((error, index) => (index === 0 ? ioError('fdatasync') : error));
    });
    vi.mocked(fs.renameSync).mockImplementation((from, to) => {
      if (String(to).endsWith('c')) throw ioError('rename');
      actual.renameSync(from, to);
    });
    const errors = await writeFilesAtomic(newTexts(dir));
    expect(errors.map((error) => error?.message)).toEqual([
      expect.stringContaining('ENOSPC'),
      expect.stringContaining('fdatasync'),
      expect.stringContaining('rename'),
    ]);
    expect(await contents(dir)).toEqual({ a: 'old a', b: 'old b', c: 'old c' });
  });

  it('reports a file whose directory is missing and still writes the rest', async () => {
    const dir = await threeOldFiles();
    const files = [{ path: join(dir, 'gone', 'x'), text: 'new x' }, ...newTexts(dir)];
    const errors = await writeFilesAtomic(files);
    expect(errors[0]).toMatchObject({ code: 'ENOENT' });
    expect(errors.slice(1)).toEqual([undefined, undefined, undefined]);
    expect(await contents(dir)).toEqual({ a: 'new a', b: 'new b', c: 'new c' });
  });
});
