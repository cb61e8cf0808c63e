import { describe, expect, it } from 'vitest';
import { boundCopyHeapGrowth, COPY_HEAP_GROWTH_PERCENT } from '../../src/cli/copy-heap.js';

function bound(execArgv: string[], nodeOptions?: string) {
  const set: string[] = [];
  const applied = boundCopyHeapGrowth({
    execArgv,
    nodeOptions,
    setFlags: (flags) => set.push(flags),
  });
  return { applied, set };
}

describe('the heap growth bound of keepsync copy', () => {
  it('lets the heap grow by at most its live size before a full GC', () => {
    expect(COPY_HEAP_GROWTH_PERCENT).toBe(100);
    expect(bound([], undefined)).toEqual({
      applied: true,
      set: ['--heap-growing-percent=100'],
    });
    expect(bound(['--max-old-space-size=4096'], '--enable-source-maps').set).toEqual([
      '--heap-growing-percent=100',
    ]);
  });

  it('keeps a growth the user chose on the command line or in NODE_OPTIONS', () => {
    expect(bound(['--heap-growing-percent=200'])).toEqual({ applied: false, set: [] });
    expect(bound([], '--enable-source-maps --heap_growing_percent=10')).toEqual({
      applied: false,
      set: [],
    });
  });
});
