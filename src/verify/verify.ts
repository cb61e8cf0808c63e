import { describeError, KeepsyncError } from '../model/index.js';
import {
  type DriftCounts,
  emptyStats,
  type Link,
  type LinkWrite,
  type RunStats,
  type RunStatus,
  type Store,
} from '../store/index.js';
import {
  type ConnectorTelemetry,
  type ListedObject,
  type Logger,
  type Pipeline,
  preparePage,
  type RunResult,
  routePage,
  runPipeline,
} from '../sync/index.js';
import { holdsRecord } from './compare.js';

export interface VerifyOptions {
  store: Store;
  pipeline: Pipeline;
  unit: string;
  /** Re-write the missing and changed objects from the source (never truncates). @default false */
  repair?: boolean | undefined;
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
}

/** A verification's run (trigger `verify`), with what it found and the repair run it made. */
export interface VerifyResult extends RunResult {
  readonly drift: DriftCounts;
  /** The keys behind the counts (at most `KEYS_SHOWN` of each), for messages. */
  readonly keys: {
    readonly missing: string[];
    readonly changed: string[];
    readonly extra: string[];
  };
  /** The targeted run (trigger `repair`) that re-wrote what drifted; null when none ran. */
  readonly repair: RunResult | null;
}

const KEYS_SHOWN = 20;
const LOOKUP_CHUNK = 500;
/** The hash a drifted link gets so the repair run sees its record as changed and updates it. */
const DRIFTED_HASH = 'drifted';

/**
 * Compares a unit's destination objects with what keepsync wrote there: the source is read
 * in full (no cursor moves), and every record whose link says "unchanged" is checked against
 * the object the destination lists for it. `missing`: the object is gone (or archived);
 * `changed`: its content differs; `extra`: an object no link points to (counted, never
 * removed). Records the source changed since the last run are left to the next run.
 *
 * With `repair`, a missing object's link is dropped (so it is created again, or found by key)
 * and a changed object's link is marked drifted (so it is updated in place), then one
 * targeted run re-writes exactly those keys from the source. A verify without drift writes
 * nothing to the destination.
 */
export async function verifyPipeline(options: VerifyOptions): Promise<VerifyResult> {
  const { store, pipeline, unit } = options;
  const { destination } = pipeline;
  if (typeof destination.list !== 'function') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Pipeline ${JSON.stringify(pipeline.name)} cannot be verified: its destination ${JSON.stringify(destination.name)} cannot list its objects`,
    );
  }
  const runId = await store.startRun(pipeline.name, unit, 'verify');
  const stats = emptyStats();
  const drift: DriftCounts = { missing: 0, changed: 0, extra: 0, repaired: 0 };
  stats.drift = drift;
  const keys = { missing: [] as string[], changed: [] as string[], extra: [] as string[] };
  let status: RunStatus = 'succeeded';
  let error: string | null = null;
  let repair: RunResult | null = null;
  try {
    const found = await findDrift(options, stats);
    drift.missing = found.missing.length;
    drift.changed = found.changed.length;
    drift.extra = found.extra.length;
    keys.missing = found.missing.slice(0, KEYS_SHOWN).map((link) => link.key);
    keys.changed = found.changed.slice(0, KEYS_SHOWN).map((link) => link.key);
    keys.extra = found.extra.slice(0, KEYS_SHOWN);
    const drifted = [...found.missing, ...found.changed];
    if (options.repair && drifted.length > 0 && !options.signal?.aborted) {
      await store.commitPage({
        pipeline: pipeline.name,
        unit,
        runId,
        links: found.changed.map((link): LinkWrite => ({ ...link, hash: DRIFTED_HASH })),
        removedLinks: found.missing.map((link) => link.key),
        deadLetters: [],
        resolvedDeadLetters: [],
        stats,
      });
      repair = await runPipeline({
        store,
        pipeline,
        unit,
        keys: drifted.map((link) => link.key),
        trigger: 'repair',
        signal: options.signal,
        logger: options.logger,
      });
      drift.repaired = repair.stats.created + repair.stats.updated;
      if (repair.status !== 'succeeded') {
        status = repair.status;
        error = `repair run ${repair.runId} ${repair.status}: ${repair.error ?? 'no error given'}`;
      }
    }
    if (options.signal?.aborted && status === 'succeeded') {
      status = 'aborted';
      error = 'stopped before the verification finished';
    }
  } catch (thrown) {
    status = options.signal?.aborted ? 'aborted' : 'failed';
    error = describeError(thrown);
  }
  await store.finishRun(runId, { status, stats, error });
  return {
    runId,
    pipeline: pipeline.name,
    unit,
    status,
    stats,
    error,
    pausedReason: repair?.pausedReason ?? null,
    drift,
    keys,
    repair,
  };
}

interface Drift {
  readonly missing: Link[];
  readonly changed: Link[];
  /** Keys of objects without a link. */
  readonly extra: string[];
}

async function findDrift(options: VerifyOptions, stats: RunStats): Promise<Drift> {
  const { store, pipeline, unit, signal } = options;
  const telemetry: ConnectorTelemetry = {
    retried: () => {
      stats.retries++;
    },
    waitedForRateLimit: (ms) => {
      stats.rateLimitWaitMs += Math.round(ms);
    },
  };
  const byDestId = new Map<string, ListedObject>();
  const byKey = new Map<string, ListedObject>();
  const listing = pipeline.destination.list!({ pipeline: pipeline.name, unit, signal, telemetry });
  for await (const page of listing) {
    for (const object of page) {
      byDestId.set(object.destId, object);
      if (object.key !== null) byKey.set(object.key, object);
    }
  }

  const route = pipeline.route;
  const unhashed = new Set([
    ...(route.createOnly ?? []),
    ...(route.syncedAtField ? [route.syncedAtField] : []),
  ]);
  const missing: Link[] = [];
  const changed: Link[] = [];
  const linked = new Set<string>();
  for await (const page of pipeline.source.read(unit, { cursor: null, signal, telemetry })) {
    stats.read += page.records.length;
    stats.pages++;
    const routed = await routePage(page.records, route, { pipeline: pipeline.name, unit });
    const links = await store.getLinks(
      pipeline.name,
      routed.map((record) => record.key),
    );
    for (const { record, hash } of preparePage(routed, pipeline).valid) {
      const link = links.get(record.key);
      if (!link) continue;
      linked.add(link.destId);
      // Changed at the source (or archived by keepsync): the next run writes it anyway.
      if (hash === null || link.hash !== hash) continue;
      const object = byDestId.get(link.destId) ?? byKey.get(record.key);
      if (!object || object.archived) missing.push(link);
      else if (!holdsRecord(object, record, unhashed)) changed.push(link);
      else stats.unchanged++;
    }
    if (signal?.aborted) break;
  }

  // Objects no record of this pass led to: extra unless a link points to them (a record
  // deleted at the source under `deletes: 'ignore'` keeps its object and its link).
  const unmatched = [...byDestId.values()].filter(
    (object) => !linked.has(object.destId) && object.key !== null,
  );
  const extra: string[] = [];
  for (let start = 0; start < unmatched.length; start += LOOKUP_CHUNK) {
    const chunk = unmatched.slice(start, start + LOOKUP_CHUNK).map((object) => object.key!);
    const links = await store.getLinks(pipeline.name, chunk);
    for (const key of chunk) if (!links.has(key)) extra.push(key);
  }
  return { missing, changed, extra };
}
