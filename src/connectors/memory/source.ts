import type { SyncRecord } from '../../model/index.js';
import type { ReadOptions, Source, SourceMode, SourcePage } from '../../sync/index.js';

export interface MemorySourceOptions {
  /** @default 'memory' */
  name?: string;
  /** Records per unit. A function is called on every read, so tests can change the data. */
  units: Record<string, readonly SyncRecord[] | (() => readonly SyncRecord[])>;
  /** @default 1000 */
  pageSize?: number;
  /** @default 'full' */
  mode?: SourceMode;
}

/**
 * Serves records held in memory, in pages, with an offset cursor. For tests, examples and
 * benchmarks; a full-mode pass lists every record, so absent records count as deleted.
 */
export function source(options: MemorySourceOptions): Source {
  const pageSize = options.pageSize ?? 1000;
  return {
    name: options.name ?? 'memory',
    mode: options.mode ?? 'full',
    units: () => Object.keys(options.units).map((id) => ({ id })),
    read: (unit, readOptions) => readUnit(options, unit, pageSize, readOptions),
  };
}

async function* readUnit(
  options: MemorySourceOptions,
  unit: string,
  pageSize: number,
  { cursor, keys }: ReadOptions,
): AsyncGenerator<SourcePage> {
  const data = options.units[unit];
  if (data === undefined) throw new Error(`memory source has no unit ${unit}`);
  const all = typeof data === 'function' ? data() : data;
  const wanted = keys ? new Set(keys) : null;
  const records = wanted ? all.filter((record) => wanted.has(record.key)) : all;
  let offset = typeof cursor === 'number' && !wanted ? cursor : 0;
  while (offset < records.length) {
    const page = records.slice(offset, offset + pageSize);
    offset += page.length;
    yield { records: page, cursor: offset };
  }
}
