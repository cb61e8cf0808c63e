import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { describeError, isAuthError, KeepsyncError } from '../model/index.js';
import {
  type CursorState,
  emptyStats,
  type RunStats,
  type RunStatus,
  type RunTrigger,
  type Store,
} from '../store/index.js';
import type { ConnectorTelemetry, DestinationSession } from './contracts.js';
import { type Logger, silentLogger } from './logger.js';
import { PageWriter } from './page-writer.js';
import type { Pipeline } from './pipeline.js';
import { routePage } from './route.js';

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
  /** Set when the run paused the unit: what a person has to do. */
  readonly pausedReason: string | null;
}

export const REAUTHORIZE = 're-authorize, then resume';
const MISSING_BATCH = 500;

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
  let pausedReason: string | null = null;
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
    if (options.signal?.aborted) status = 'aborted';
  } catch (thrown) {
    error = describeError(thrown);
    if (isAuthError(thrown)) {
      status = 'paused';
      pausedReason = `${REAUTHORIZE}: ${error}`;
    } else if (options.signal?.aborted) {
      status = 'aborted';
    } else {
      status = 'failed';
    }
    logger.error(
      { pipeline: pipeline.name, unit, runId, code: (thrown as KeepsyncError).code },
      error,
    );
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
  return { runId, pipeline: pipeline.name, unit, status, stats, error, pausedReason };
}

async function readAndWrite(options: RunOptions, context: RunContext): Promise<void> {
  const { store, pipeline, unit, signal } = options;
  const targeted = options.keys !== undefined;
  const wanted = targeted ? new Set(options.keys) : null;
  const full = pipeline.source.mode === 'full' && !targeted;
  // Marking every record seen costs a write each; only a pipeline that acts on deletes needs it.
  const tracksPass = full && pipeline.deletes !== 'ignore';
  const saved: CursorState | null = targeted ? null : await store.getCursor(pipeline.name, unit);
  const passId = tracksPass ? (saved?.passId ?? randomUUID()) : undefined;
  let cursor = saved?.cursor ?? null;

  const pages = pipeline.source.read(unit, {
    cursor: targeted ? null : cursor,
    keys: options.keys,
    signal,
    telemetry: context.telemetry,
  });
  let completed = true;
  let expectedTotal: number | undefined;
  for await (const page of pages) {
    // The source counts from where this run resumed; so does `read`.
    expectedTotal ??= page.expectedTotal;
    context.stats.read += page.records.length;
    let records = await routePage(page.records, pipeline.route, { pipeline: pipeline.name, unit });
    if (wanted) records = records.filter((record) => wanted.has(record.key));
    cursor = page.cursor;
    await context.writer.writePage(records, {
      cursor: targeted ? undefined : { cursor, passId: passId ?? null },
      passId,
      unreadable: wanted ? page.unreadable?.filter(({ key }) => wanted.has(key)) : page.unreadable,
    });
    options.onProgress?.({ pipeline: pipeline.name, unit, stats: context.stats, expectedTotal });
    // In-memory sources and SQLite resolve without I/O; without this, signals and lease
    // renewal timers would wait for the whole run.
    await yieldToEventLoop();
    if (signal?.aborted) {
      completed = false;
      break;
    }
  }
  if (!completed || targeted) return;

  if (full) {
    if (passId) await removeMissing(options, context, passId);
    // A complete full pass starts over next time.
    await store.commitPage({
      pipeline: pipeline.name,
      unit,
      runId: context.runId,
      cursor: { cursor: null, passId: null },
      links: [],
      removedLinks: [],
      deadLetters: [],
      resolvedDeadLetters: [],
      stats: context.stats,
    });
  }
}

async function removeMissing(
  options: RunOptions,
  context: RunContext,
  passId: string,
): Promise<void> {
  const { store, pipeline, unit } = options;
  const total = await store.countLinks(pipeline.name, unit);
  const allowed = Math.floor(total * pipeline.deleteGuard.maxShare);
  const first = await store.listUnseenLinks(pipeline.name, unit, passId, allowed + 1);
  if (total >= pipeline.deleteGuard.minLinks && first.length > allowed) {
    throw new KeepsyncError(
      'DELETE_GUARD',
      `Delete guard: this pass of pipeline ${pipeline.name} unit ${unit} would remove more than ` +
        `${Math.round(pipeline.deleteGuard.maxShare * 100)}% of its ${total} objects; nothing was removed. ` +
        'Check the source, or raise deleteGuard.maxShare.',
    );
  }
  const kind = pipeline.deletes === 'delete' ? 'delete' : 'archive';
  for (;;) {
    const missing = await store.listUnseenLinks(pipeline.name, unit, passId, MISSING_BATCH);
    if (missing.length === 0) return;
    await context.writer.removeMissing(
      missing.map((link) => ({ kind, key: link.key, destId: link.destId })),
      passId,
    );
  }
}
