import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  type Cursor,
  describeError,
  isAuthError,
  isKeepsyncError,
  isQuotaExhausted,
} from '../model/index.js';
import {
  type CursorState,
  emptyStats,
  type RunStats,
  type RunStatus,
  type RunTrigger,
  type Store,
} from '../store/index.js';
import type { ConnectorTelemetry, DestinationSession, SourcePage } from './contracts.js';
import { type Logger, silentLogger } from './logger.js';
import { removeMissing } from './missing.js';
import { type PreparedPage, preparePageYielding } from './page-prepare.js';
import { PageWriter } from './page-writer.js';
import type { Pipeline } from './pipeline.js';
import { routePage } from './route.js';
import { stoppedOutcome } from './stopped.js';

export interface RunOptions {
  store: Store;
  pipeline: Pipeline;
  unit: string;
  /** @default 'manual' */
  trigger?: RunTrigger | undefined;
  /** A targeted run: only these keys are read and written; the cursor does not move. */
  keys?: readonly string[] | undefined;
  /** Stops after the page in flight is committed. */
  signal?: AbortSignal | undefined;
  /** Called after every committed page. */
  onProgress?: ((progress: RunProgress) => void) | undefined;
  logger?: Logger | undefined;
  /**
   * Reads the next page while this one is written. Off, a crash re-reads at most one page
   * (the Temporal engine's bound); on, at most two. @default true
   */
  readAhead?: boolean | undefined;
}

export interface RunProgress {
  readonly pipeline: string;
  readonly unit: string;
  readonly stats: Readonly<RunStats>;
  /** Records this run reads in all, when the source says (read + still to read). */
  readonly expectedTotal: number | undefined;
}

export interface RunResult {
  readonly runId: number;
  readonly pipeline: string;
  readonly unit: string;
  readonly status: RunStatus;
  readonly stats: RunStats;
  readonly error: string | null;
  /** Set when the run paused the unit: what a person has to do, or until when it waits. */
  readonly pausedReason: string | null;
  /**
   * Set when the service's quota ran out: the unit waits until then on its own (no person
   * needed); runs before it would only fail again.
   */
  readonly resumesAt?: Date | undefined;
  /**
   * The keepsync error code of a failed run (`CONFIG_INVALID`: retrying cannot help), when
   * the failure was one of keepsync's own errors.
   */
  readonly errorCode?: string | undefined;
}

export const REAUTHORIZE = 're-authorize, then resume';
/** Starts the reason of a unit waiting for its service's quota to reset. */
export const QUOTA_WAIT = 'quota used up, waiting until';

/**
 * Runs one (pipeline, unit): read pages, route, hash, plan against the store, write, and
 * commit each page in one store transaction. A crash resumes from the last committed page.
 */
export async function runPipeline(options: RunOptions): Promise<RunResult> {
  const { store, pipeline, unit } = options;
  const trigger = options.trigger ?? (options.keys ? 'keys' : 'manual');
  const runId = await store.startRun(pipeline.name, unit, trigger);
  return finishRun(options, runId, (context) => readAndWrite(options, context));
}

/**
 * Retries a pipeline's dead letters by re-reading their keys from the source (a targeted
 * run per unit), so a record fixed at the source goes through; what failed stays a dead letter.
 */
export async function retryDeadLetters(
  options: Omit<RunOptions, 'unit' | 'keys' | 'trigger'>,
): Promise<RunResult[]> {
  const letters = await options.store.listDeadLetters({ pipeline: options.pipeline.name });
  const byUnit = new Map<string, string[]>();
  for (const letter of letters)
    byUnit.set(letter.unit, [...(byUnit.get(letter.unit) ?? []), letter.key]);
  const results: RunResult[] = [];
  for (const [unit, keys] of byUnit) {
    results.push(await runPipeline({ ...options, unit, keys, trigger: 'dead-letters' }));
  }
  return results;
}

interface RunContext {
  readonly runId: number;
  readonly stats: RunStats;
  readonly writer: PageWriter;
  readonly session: DestinationSession;
  readonly telemetry: ConnectorTelemetry;
  readonly logger: Logger;
}

async function finishRun(
  options: RunOptions,
  runId: number,
  body: (context: RunContext) => Promise<void>,
): Promise<RunResult> {
  const { store, pipeline, unit } = options;
  const logger = options.logger ?? silentLogger;
  const stats = emptyStats();
  const telemetry: ConnectorTelemetry = {
    retried: () => {
      stats.retries++;
    },
    waitedForRateLimit: (ms) => {
      stats.rateLimitWaitMs += Math.round(ms);
    },
  };
  let status: RunStatus = 'succeeded';
  let error: string | null = null;
  let errorCode: string | undefined;
  let pausedReason: string | null = null;
  let resumesAt: Date | undefined;
  let session: DestinationSession | undefined;
  try {
    session = await pipeline.destination.open({
      pipeline: pipeline.name,
      unit,
      signal: options.signal,
      telemetry,
    });
    const writer = new PageWriter({
      store,
      pipeline,
      unit,
      runId,
      session,
      stats,
      logger,
      signal: options.signal,
    });
    await body({ runId, stats, writer, session, telemetry, logger });
    if (options.signal?.aborted) ({ status, error } = stoppedOutcome(options.signal));
  } catch (thrown) {
    error = describeError(thrown);
    errorCode = isKeepsyncError(thrown) ? thrown.code : undefined;
    if (isAuthError(thrown)) {
      status = 'paused';
      pausedReason = `${REAUTHORIZE}: ${error}`;
    } else if (isQuotaExhausted(thrown)) {
      status = 'paused';
      resumesAt = thrown.resumesAt;
      pausedReason = `${QUOTA_WAIT} ${resumesAt.toISOString()}: ${error}`;
    } else if (options.signal?.aborted) {
      const stopped = stoppedOutcome(options.signal);
      status = stopped.status;
      error = stopped.error ?? error;
    } else {
      status = 'failed';
    }
    // Not logged here: the run's result and row carry the error, and whoever drives the run
    // (the engine, the CLI, a Temporal activity) reports it once.
  } finally {
    await session?.close().catch((closeError: unknown) => {
      logger.warn(
        { pipeline: pipeline.name, unit },
        `closing the destination failed: ${describeError(closeError)}`,
      );
    });
  }
  stats.rateLimitWaitMs = Math.round(stats.rateLimitWaitMs);
  await store.finishRun(runId, { status, stats, error });
  return {
    runId,
    pipeline: pipeline.name,
    unit,
    status,
    stats,
    error,
    pausedReason,
    ...(resumesAt ? { resumesAt } : {}),
    ...(status === 'failed' && errorCode ? { errorCode } : {}),
  };
}

async function readAndWrite(options: RunOptions, context: RunContext): Promise<void> {
  const { store, pipeline, unit } = options;
  const targeted = options.keys !== undefined;
  const full = pipeline.source.mode === 'full' && !targeted;
  // Marking every record seen costs a write each; only a pipeline that acts on deletes needs it.
  const tracksPass = full && pipeline.deletes !== 'ignore';
  const saved: CursorState | null = targeted ? null : await store.getCursor(pipeline.name, unit);
  const passId = tracksPass ? (saved?.passId ?? randomUUID()) : undefined;

  const completed = await readPass(options, context, {
    cursor: targeted ? null : (saved?.cursor ?? null),
    commitsCursor: !targeted,
    passId,
  });
  if (!completed || targeted) return;

  if (full) {
    if (passId) {
      await removeMissing({
        store,
        pipeline,
        unit,
        passId,
        writer: context.writer,
        telemetry: context.telemetry,
        signal: options.signal,
        onFound: (count) => {
          context.stats.read += count;
        },
        reread: async () => {
          await readPass(options, context, { cursor: null, commitsCursor: false, passId });
        },
      });
    }
    // A complete full pass starts over next time, with what the source keeps across passes.
    await store.commitPage({
      pipeline: pipeline.name,
      unit,
      runId: context.runId,
      cursor: { cursor: completed.nextPassCursor, passId: null },
      links: [],
      removedLinks: [],
      deadLetters: [],
      resolvedDeadLetters: [],
      stats: context.stats,
    });
  }
}

interface PassPlan {
  readonly cursor: Cursor;
  /** False for targeted runs and for a second listing that confirms deletes. */
  readonly commitsCursor: boolean;
  readonly passId: string | undefined;
}

/** A page read, routed and prepared ahead of its write. */
interface PageAhead {
  readonly page: SourcePage;
  readonly prepared: PreparedPage;
}

/** How a pass that read to its end ended. */
interface PassEnd {
  readonly nextPassCursor: Cursor;
}

/**
 * Reads the unit from `cursor` to its end, writing page by page; null when aborted.
 * The next page is read, routed and hashed while the destination writes this one (one page
 * ahead, no more); writes and store commits stay one page at a time, in order, so the cursor
 * never passes what is written, and a crash re-reads at most the page being written and the
 * page read ahead. Without `readAhead`, the next page is read once this one is committed.
 */
async function readPass(
  options: RunOptions,
  context: RunContext,
  plan: PassPlan,
): Promise<PassEnd | null> {
  const { pipeline, unit, signal } = options;
  const wanted = options.keys ? new Set(options.keys) : null;
  const pages = pipeline.source
    .read(unit, {
      cursor: plan.cursor,
      keys: options.keys,
      signal,
      telemetry: context.telemetry,
    })
    [Symbol.asyncIterator]();
  const readAhead = async (): Promise<PageAhead | null> => {
    const next = await pages.next();
    if (next.done) return null;
    const page = next.value;
    // The write in flight may be waiting on the event loop (its rows, its result): let it run.
    await yieldToEventLoop();
    let records = await routePage(page.records, pipeline.route, { pipeline: pipeline.name, unit });
    if (wanted) records = records.filter((record) => wanted.has(record.key));
    return { page, prepared: await preparePageYielding(records, pipeline) };
  };
  const readsAhead = options.readAhead ?? true;
  let expectedTotal: number | undefined;
  let nextPassCursor: Cursor = null;
  let ahead = readAhead();
  let finished = false;
  try {
    for (;;) {
      const current = await ahead;
      if (current === null) {
        finished = true;
        return { nextPassCursor };
      }
      const { page, prepared } = current;
      if (page.nextPassCursor !== undefined) nextPassCursor = page.nextPassCursor;
      // The source counts from where this run resumed; so does `read`.
      expectedTotal ??= page.expectedTotal;
      context.stats.read += page.records.length;
      const written = context.writer.writePrepared(prepared, {
        cursor: plan.commitsCursor
          ? { cursor: page.cursor, passId: plan.passId ?? null }
          : undefined,
        passId: plan.passId,
        unreadable: wanted
          ? page.unreadable?.filter(({ key }) => wanted.has(key))
          : page.unreadable,
      });
      if (readsAhead) {
        // Started once this page's write is under way; a failure surfaces when it is awaited.
        ahead = yieldToEventLoop().then(readAhead);
        ahead.catch(() => {});
      }
      await written;
      options.onProgress?.({ pipeline: pipeline.name, unit, stats: context.stats, expectedTotal });
      // In-memory sources and SQLite resolve without I/O; without this, signals and lease
      // renewal timers would wait for the whole run.
      await yieldToEventLoop();
      if (signal?.aborted) return null;
      if (!readsAhead) ahead = readAhead();
    }
  } finally {
    if (!finished) {
      // The page read ahead is dropped, not written: it is read again next time.
      await ahead.catch(() => null);
      await pages.return?.();
    }
  }
}
