import { KeepsyncError, type SyncRecord } from '../model/index.js';
import type { Store } from '../store/index.js';
import type { ConnectorTelemetry, WriteOp } from './contracts.js';
import type { PageWriter } from './page-writer.js';
import type { Pipeline } from './pipeline.js';
import { routePage } from './route.js';

const MISSING_BATCH = 500;

export interface RemoveMissingOptions {
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly unit: string;
  readonly passId: string;
  readonly writer: PageWriter;
  readonly telemetry: ConnectorTelemetry;
  readonly signal?: AbortSignal | undefined;
  /** Counts records the confirmation found, as read. */
  readonly onFound: (count: number) => void;
  /** Lists the unit once more under the same pass; for sources that cannot confirm. */
  readonly reread: () => Promise<void>;
}

/**
 * Archives or deletes what a complete full pass did not list, but only keys the source
 * confirms are gone. A listing that shifted between pages skips records that still exist;
 * those the source finds are written instead, so the pass ends as if it had listed them.
 */
export async function removeMissing(options: RemoveMissingOptions): Promise<void> {
  const { store, pipeline, unit, passId } = options;
  const total = await store.countLinks(pipeline.name, unit);
  const allowed = Math.floor(total * pipeline.deleteGuard.maxShare);
  const first = await store.listUnseenLinks(pipeline.name, unit, passId, allowed + 1);
  if (first.length === 0) return;
  if (total >= pipeline.deleteGuard.minLinks && first.length > allowed) {
    throw new KeepsyncError(
      'DELETE_GUARD',
      `Delete guard: this pass of pipeline ${pipeline.name} unit ${unit} would remove more than ` +
        `${Math.round(pipeline.deleteGuard.maxShare * 100)}% of its ${total} objects; nothing was removed. ` +
        'Check the source, or raise deleteGuard.maxShare.',
    );
  }
  const confirms = pipeline.source.confirmMissing !== undefined;
  // What the second listing sees is marked seen; what both listings missed is gone.
  if (!confirms) await options.reread();
  const kind = pipeline.deletes === 'delete' ? 'delete' : 'archive';
  for (;;) {
    options.signal?.throwIfAborted();
    const missing = await store.listUnseenLinks(pipeline.name, unit, passId, MISSING_BATCH);
    if (missing.length === 0) return;
    const gone = confirms
      ? await confirmGone(
          options,
          missing.map((link) => link.key),
        )
      : new Set(missing.map((link) => link.key));
    const removals: WriteOp[] = [];
    const kept: string[] = [];
    for (const link of missing) {
      if (gone.has(link.key)) removals.push({ kind, key: link.key, destId: link.destId });
      else kept.push(link.key);
    }
    if (kept.length > 0) await options.writer.markSeen(kept, passId);
    if (removals.length > 0) await options.writer.removeMissing(removals, passId);
  }
}

/** Asks the source about keys the pass missed; writes those it finds, returns those gone. */
async function confirmGone(
  options: RemoveMissingOptions,
  keys: readonly string[],
): Promise<ReadonlySet<string>> {
  const { pipeline, unit } = options;
  const check = await pipeline.source.confirmMissing!(unit, keys, {
    signal: options.signal,
    telemetry: options.telemetry,
  });
  const asked = new Set(keys);
  const gone = new Set(check.gone.filter((key) => asked.has(key)));
  const found: SyncRecord[] = [];
  for (const record of check.found) {
    if (!asked.has(record.key) || gone.has(record.key)) continue;
    if (record.deleted) gone.add(record.key);
    else found.push(record);
  }
  if (found.length === 0) return gone;
  options.onFound(found.length);
  const routed = await routePage(found, pipeline.route, { pipeline: pipeline.name, unit });
  const written = new Set(routed.map((record) => record.key));
  // A record the route drops would not have been written by the listing either.
  for (const record of found) if (!written.has(record.key)) gone.add(record.key);
  await options.writer.writePage(
    routed.filter((record) => asked.has(record.key)),
    { passId: options.passId },
  );
  return gone;
}
