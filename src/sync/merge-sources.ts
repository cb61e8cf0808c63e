import { type Cursor, KeepsyncError, type SyncRecord } from '../model/index.js';
import type { ConfirmOptions, MissingCheck, ReadOptions, Source, SourcePage } from './contracts.js';
import { dedupeByKey } from './route.js';

export interface MergeSourcesOptions {
  name: string;
  /** Sources whose records share one canonical key space. */
  sources: readonly Source[];
  /**
   * Maps a source's record key to the canonical key (e.g. the same event in two systems).
   * @default identity
   */
  canonicalKey?: ((key: string, source: Source) => string) | undefined;
}

type MergedCursor = { readonly [lane: string]: Cursor };

/**
 * Reads several sources in parallel as one unit ("all") and merges their pages. Records
 * with the same canonical key are deduped, newest `updatedAt` first; across pages the store
 * keeps the newest too, since a link remembers the source time it last wrote.
 */
export function mergeSources(options: MergeSourcesOptions): Source {
  if (!Array.isArray(options.sources) || options.sources.length === 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected merged source ${JSON.stringify(options.name)} to have at least one source`,
    );
  }
  const names = new Set(options.sources.map((source) => source.name));
  if (names.size !== options.sources.length) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected merged sources of ${options.name} to have distinct names`,
    );
  }
  const merged: Source = {
    name: options.name,
    mode: options.sources.every((source) => source.mode === 'full') ? 'full' : 'incremental',
    units: () => [{ id: 'all' }],
    read: (_unit, readOptions) => readMerged(options, readOptions),
  };
  // Canonical keys cannot be mapped back to each source's keys, so only identity keys confirm.
  const confirms =
    !options.canonicalKey && options.sources.every((source) => source.confirmMissing);
  if (!confirms) return merged;
  return {
    ...merged,
    confirmMissing: (_unit, keys, confirmOptions) =>
      confirmMerged(options.sources, keys, confirmOptions),
  };
}

/** A key is gone only when every unit of every source says so; the newest found record wins. */
async function confirmMerged(
  sources: readonly Source[],
  keys: readonly string[],
  options: ConfirmOptions,
): Promise<MissingCheck> {
  const goneVotes = new Map<string, number>();
  const found = new Map<string, SyncRecord>();
  let lanes = 0;
  for (const source of sources) {
    for (const unit of await source.units()) {
      lanes++;
      const check = await source.confirmMissing!(unit.id, keys, options);
      for (const key of new Set(check.gone)) goneVotes.set(key, (goneVotes.get(key) ?? 0) + 1);
      for (const record of check.found) {
        const kept = found.get(record.key);
        const newer =
          !kept || (record.updatedAt?.getTime() ?? 0) > (kept.updatedAt?.getTime() ?? 0);
        if (newer) found.set(record.key, record);
      }
    }
  }
  const gone = keys.filter((key) => goneVotes.get(key) === lanes && !found.has(key));
  return { gone, found: [...found.values()] };
}

async function* readMerged(
  options: MergeSourcesOptions,
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  const saved = (readOptions.cursor ?? {}) as MergedCursor;
  if (typeof saved !== 'object' || Array.isArray(saved)) {
    throw new KeepsyncError(
      'CURSOR_INVALID',
      `The cursor of merged source ${options.name} is not an object`,
    );
  }
  const lanes: Lane[] = [];
  for (const source of options.sources) {
    for (const unit of await source.units()) {
      const lane = `${source.name}:${unit.id}`;
      const pages = source
        .read(unit.id, { ...readOptions, cursor: saved[lane] ?? null })
        [Symbol.asyncIterator]();
      lanes.push({ lane, source, pages });
    }
  }
  const cursor: Record<string, Cursor> = { ...saved };
  // What each lane keeps across full passes, so the merged pass keeps it per lane too.
  const nextPass: Record<string, Cursor> = {};
  const inFlight = new Map(lanes.map((lane) => [lane.lane, next(lane)]));
  try {
    while (inFlight.size > 0) {
      const settled = await Promise.race(inFlight.values());
      if (settled.result.done) {
        inFlight.delete(settled.lane.lane);
        continue;
      }
      inFlight.set(settled.lane.lane, next(settled.lane));
      const page = settled.result.value;
      cursor[settled.lane.lane] = page.cursor;
      if (page.nextPassCursor !== undefined) nextPass[settled.lane.lane] = page.nextPassCursor;
      const canonicalKey = options.canonicalKey;
      const records = canonicalKey
        ? page.records.map((record) => ({
            ...record,
            key: canonicalKey(record.key, settled.lane.source),
          }))
        : page.records;
      yield {
        records: dedupeByKey(records),
        cursor: { ...cursor },
        ...(Object.keys(nextPass).length > 0 ? { nextPassCursor: { ...nextPass } } : {}),
      };
    }
  } finally {
    await Promise.all(lanes.map((lane) => lane.pages.return?.()));
  }
}

interface Lane {
  readonly lane: string;
  readonly source: Source;
  readonly pages: AsyncIterator<SourcePage>;
}

async function next(lane: Lane): Promise<{ lane: Lane; result: IteratorResult<SourcePage> }> {
  return { lane, result: await lane.pages.next() };
}
