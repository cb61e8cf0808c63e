import { setFlagsFromString } from 'node:v8';

/**
 * How much V8 lets the heap grow past its live size before the next full GC, for a copy.
 * By default V8 lets it grow up to 4x: a copy of 100,000 resources holds ~70 MB of heads
 * and a short-lived request or file per resource, so its heap reached 200+ MB and its RSS
 * 300-390 MB, set by when a full GC happened to run. At 2x it peaks near 230 MB for about
 * as much GC work; 1.5x peaked near 210 MB but ran 3-4x as many full GCs (bench/README.md,
 * "copy (issue 15, round 7)").
 */
export const COPY_HEAP_GROWTH_PERCENT = 100;

const FLAG = '--heap-growing-percent';

export interface HeapGrowthContext {
  /** Node's own flags, e.g. `process.execArgv`. */
  readonly execArgv: readonly string[];
  /** `NODE_OPTIONS`, which Node reads as flags too. */
  readonly nodeOptions: string | undefined;
  readonly setFlags?: ((flags: string) => void) | undefined;
}

/**
 * Bounds the heap growth of this process for a copy: the process is the CLI's own, so a
 * V8 flag set at run time is the copy's alone. A growth the user chose is kept.
 * Returns whether the bound was set.
 */
export function boundCopyHeapGrowth(context: HeapGrowthContext): boolean {
  const chosen = [...context.execArgv, ...(context.nodeOptions ?? '').split(/\s+/)].some((flag) =>
    flag.replaceAll('_', '-').startsWith(FLAG),
  );
  if (chosen) return false;
  (context.setFlags ?? setFlagsFromString)(`${FLAG}=${COPY_HEAP_GROWTH_PERCENT}`);
  return true;
}
