import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flushDescriptors } from '../../../src/connectors/files/flush-workers.js';
import { tempDir } from './helpers.js';

describe('flushDescriptors', () => {
  it('flushes descriptors opened by this thread and answers each in order', async () => {
    const dir = await tempDir();
    const fds = Array.from({ length: 37 }, (_, index) => {
      const fd = openSync(join(dir, `f${index}`), 'w');
      writeSync(fd, `text ${index}`);
      return fd;
    });
    // A descriptor that is not open fails alone: its neighbours are still flushed. (A number
    // far above any descriptor table, so nothing else in the process can have opened it.)
    const notOpen = 1_000_000;
    const asked = [...fds.slice(0, 20), notOpen, ...fds.slice(20)];
    const errors = await flushDescriptors(asked);
    for (const fd of fds) closeSync(fd);
    expect(errors).toHaveLength(asked.length);
    expect(errors[20]).toMatchObject({ code: 'EBADF', syscall: 'fdatasync' });
    expect(errors.filter((error) => error !== undefined)).toHaveLength(1);
    expect(await flushDescriptors([])).toEqual([]);
  });
});
