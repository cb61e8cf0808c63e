import * as fs from 'node:fs/promises';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as files from '../../../src/connectors/files/index.js';
import { openSession, tempDir } from './helpers.js';

// Crash-shaped failures are injected into the file system calls the destination makes.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: vi.fn(actual.open), rename: vi.fn(actual.rename) };
});

afterEach(() => {
  vi.mocked(fs.rename).mockReset();
  vi.mocked(fs.open).mockReset();
});

const OLD = 'key: k\nfields:\n  title: Old\n';

async function setUp() {
  const dir = await tempDir();
  const session = await openSession(files.destination({ dir }));
  expect(
    await session.write([
      { kind: 'create', key: 'k', record: { key: 'k', fields: { title: 'Old' } } },
    ]),
  ).toEqual([{ status: 'ok', destId: 'k.yaml' }]);
  return { dir, session };
}

const newTitle = {
  kind: 'update',
  key: 'k',
  destId: 'k.yaml',
  record: { key: 'k', fields: { title: 'New' } },
} as const;

describe('files destination under failing writes', () => {
  it('keeps the old file and no temp file when the process dies before the rename', async () => {
    const { dir, session } = await setUp();
    vi.mocked(fs.rename).mockRejectedValueOnce(
      Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' }),
    );
    const [result] = await session.write([newTitle]);
    expect(result).toMatchObject({ status: 'retryable', error: expect.stringContaining('EIO') });
    expect(await readFile(join(dir, 'k.yaml'), 'utf8')).toBe(OLD);
    expect(await readdir(dir)).toEqual(['k.yaml']);
  });

  it('keeps the old file when the disk fills up half way through writing the new one', async () => {
    const { dir, session } = await setUp();
    const actual = await vi.importActual<typeof fs>('node:fs/promises');
    vi.mocked(fs.open).mockImplementationOnce(async (...args: Parameters<typeof fs.open>) => {
      const handle = await actual.open(...args);
      handle.writeFile = async (data: unknown) => {
        await fs.appendFile(args[0] as string, String(data).slice(0, 10));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      };
      return handle;
    });
    const [result] = await session.write([newTitle]);
    expect(result).toMatchObject({ status: 'retryable', error: expect.stringContaining('ENOSPC') });
    expect(await readFile(join(dir, 'k.yaml'), 'utf8')).toBe(OLD);
    expect(await readdir(dir)).toEqual(['k.yaml']);
  });

  it('writes the new content once the file system recovers', async () => {
    const { dir, session } = await setUp();
    vi.mocked(fs.rename).mockRejectedValueOnce(
      Object.assign(new Error('EBUSY'), { code: 'EBUSY' }),
    );
    expect((await session.write([newTitle]))[0]!.status).toBe('retryable');
    expect(await session.write([newTitle])).toEqual([{ status: 'ok', destId: 'k.yaml' }]);
    expect(await readFile(join(dir, 'k.yaml'), 'utf8')).toBe('key: k\nfields:\n  title: New\n');
  });
});
