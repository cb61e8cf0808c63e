import { z } from 'zod';
import type { SyncRecord } from '../../model/index.js';
import {
  checkOptions,
  type MissingCheck,
  optionsSchema,
  type ReadOptions,
  type Source,
  type SourceMode,
  type SourcePage,
} from '../../sync/index.js';

/** A unit whose records are made on demand, so millions of them need no memory. */
export interface GeneratedUnit {
  readonly count: number;
  readonly record: (index: number) => SyncRecord;
}

export type MemoryUnit = readonly SyncRecord[] | (() => readonly SyncRecord[]) | GeneratedUnit;

export interface MemorySourceOptions {
  /** @default 'memory' */
  name?: string;
  /**
   * Records per unit: an array, a function called on every read (so tests can change the
   * data), or a generator of `count` records.
   */
  units: Record<string, MemoryUnit>;
  /** @default 1000 */
  pageSize?: number;
  /** @default 'full' */
  mode?: SourceMode;
}

/**
 * Serves records held in memory, in pages, with an offset cursor. For tests, examples and
 * benchmarks; a full-mode pass lists every record, so absent records count as deleted.
 */
const sourceSchema = optionsSchema<MemorySourceOptions>({
  name: z.string().optional(),
  units: z.record(
    z.string(),
    z.union([
      z.array(z.object({ key: z.string() }).loose(), {
        message: 'expected an array of records, a function, or { count, record }',
      }),
      z.custom<() => unknown>((value) => typeof value === 'function'),
      z.object({ count: z.number().int().min(0), record: z.custom(isFunction) }).strict(),
    ]),
    { message: 'expected `units`: { unitId: records }' },
  ),
  pageSize: z.number().int().min(1).optional(),
  mode: z.enum(['full', 'incremental']).optional(),
});

function isFunction(value: unknown): boolean {
  return typeof value === 'function';
}

export function source(options: MemorySourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'memory.source');
  const pageSize = options.pageSize ?? 1000;
  return {
    name: options.name ?? 'memory',
    mode: options.mode ?? 'full',
    units: () => Object.keys(options.units).map((id) => ({ id })),
    read: (unit, readOptions) => readUnit(options, unit, pageSize, readOptions),
    confirmMissing: async (unit, keys) => confirmMissing(options, unit, keys),
  };
}

/** Looks the keys up in the unit's current records. */
function confirmMissing(
  options: MemorySourceOptions,
  unit: string,
  keys: readonly string[],
): MissingCheck {
  const data = options.units[unit];
  if (data === undefined) throw new Error(`memory source has no unit ${unit}`);
  const wanted = new Set(keys);
  const found = materialize(data).filter((record) => wanted.has(record.key));
  const present = new Set(found.map((record) => record.key));
  return { gone: keys.filter((key) => !present.has(key)), found };
}

async function* readUnit(
  options: MemorySourceOptions,
  unit: string,
  pageSize: number,
  { cursor, keys }: ReadOptions,
): AsyncGenerator<SourcePage> {
  const data = options.units[unit];
  if (data === undefined) throw new Error(`memory source has no unit ${unit}`);
  if (!Array.isArray(data) && typeof data !== 'function' && !keys) {
    yield* generate(data as GeneratedUnit, typeof cursor === 'number' ? cursor : 0, pageSize);
    return;
  }
  const all = materialize(data);
  const wanted = keys ? new Set(keys) : null;
  const records = wanted ? all.filter((record) => wanted.has(record.key)) : all;
  let offset = typeof cursor === 'number' && !wanted ? cursor : 0;
  const expectedTotal = Math.max(0, records.length - offset);
  while (offset < records.length) {
    const page = records.slice(offset, offset + pageSize);
    offset += page.length;
    yield { records: page, cursor: offset, expectedTotal };
  }
}

function* generate(unit: GeneratedUnit, start: number, pageSize: number): Generator<SourcePage> {
  for (let offset = start; offset < unit.count; ) {
    const end = Math.min(unit.count, offset + pageSize);
    const records: SyncRecord[] = [];
    for (let index = offset; index < end; index++) records.push(unit.record(index));
    offset = end;
    yield { records, cursor: offset, expectedTotal: unit.count - start };
  }
}

function materialize(data: MemoryUnit): readonly SyncRecord[] {
  if (typeof data === 'function') return data();
  if (Array.isArray(data)) return data;
  const unit = data as GeneratedUnit;
  return Array.from({ length: unit.count }, (_, index) => unit.record(index));
}
