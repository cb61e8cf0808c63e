import type { Fields, NeutralValue, SyncRecord } from '../model/index.js';

export interface RouteContext {
  readonly pipeline: string;
  readonly unit: string;
}

export interface RouteOptions {
  /** Keeps only records for which this returns true (applied to the source's record). */
  filter?: ((record: SyncRecord) => boolean) | undefined;
  /**
   * Renames fields: `{ sourceField: 'destinationField' }`. When given, fields not named
   * here are dropped.
   */
  fields?: Readonly<Record<string, string>> | undefined;
  /** Reshapes a record; returning null or undefined drops it. Runs after `fields`. */
  transform?:
    | ((
        record: SyncRecord,
        context: RouteContext,
      ) => SyncRecord | null | undefined | Promise<SyncRecord | null | undefined>)
    | undefined;
  /**
   * The destination fields this pipeline owns, checked after `transform`: fields the transform
   * derives can be owned, and any other field is dropped (durable-sync's `owns`).
   */
  owns?: readonly string[] | undefined;
  /**
   * A destination field that receives the time of each write (a "Last synced" stamp). It is
   * left out of the content hash, so a no-change re-run still writes nothing.
   */
  syncedAtField?: string | undefined;
  /** Destination fields written when an object is created and never overwritten after. */
  createOnly?: readonly string[] | undefined;
  /** Destination fields that belong to the destination's people: never written. */
  destinationOwned?: readonly string[] | undefined;
}

/**
 * Routes one page, in this order: `filter` (on the source's record), `fields` (rename),
 * `transform`, `owns` (keep only owned fields), `destinationOwned` (strip), dedupe by key.
 */
export async function routePage(
  records: readonly SyncRecord[],
  route: RouteOptions,
  context: RouteContext,
): Promise<SyncRecord[]> {
  const routed: SyncRecord[] = [];
  for (const record of records) {
    if (route.filter && !route.filter(record)) continue;
    let next: SyncRecord | null | undefined = route.fields
      ? renameFields(record, route.fields)
      : record;
    if (route.transform) next = await route.transform(next, context);
    if (!next) continue;
    if (route.owns) next = { ...next, fields: pick(next.fields, route.owns) };
    if (route.destinationOwned?.length)
      next = { ...next, fields: omit(next.fields, route.destinationOwned) };
    routed.push(next);
  }
  return dedupeByKey(routed);
}

/**
 * One record per key. The later occurrence wins, unless its `updatedAt` is older than the
 * one it would replace (several sources merged: newest wins).
 */
export function dedupeByKey(records: readonly SyncRecord[]): SyncRecord[] {
  const byKey = new Map<string, SyncRecord>();
  for (const record of records) {
    const previous = byKey.get(record.key);
    if (previous && isOlder(record, previous)) continue;
    if (previous) byKey.delete(record.key);
    byKey.set(record.key, record);
  }
  return [...byKey.values()];
}

function isOlder(candidate: SyncRecord, current: SyncRecord): boolean {
  return (
    candidate.updatedAt !== undefined &&
    current.updatedAt !== undefined &&
    candidate.updatedAt.getTime() < current.updatedAt.getTime()
  );
}

function renameFields(record: SyncRecord, map: Readonly<Record<string, string>>): SyncRecord {
  const fields: Record<string, NeutralValue | undefined> = {};
  for (const [from, to] of Object.entries(map)) {
    if (from in record.fields) fields[to] = record.fields[from];
  }
  return { ...record, fields };
}

function pick(fields: Fields, names: readonly string[]): Fields {
  const kept: Record<string, NeutralValue | undefined> = {};
  for (const name of names) if (name in fields) kept[name] = fields[name];
  return kept;
}

export function omit(fields: Fields, names: readonly string[]): Fields {
  if (names.length === 0) return fields;
  const kept: Record<string, NeutralValue | undefined> = { ...fields };
  for (const name of names) delete kept[name];
  return kept;
}
