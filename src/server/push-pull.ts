import type { ApplyChanges } from './apply-changes.js';
import { SyncHttpError } from './errors.js';
import { readBody } from './http-input.js';
import type { SyncMetrics } from './metrics.js';
import type { SyncOperation, SyncUser } from './options.js';
import {
  describeZodError,
  hlcWallMs,
  PULL_LIMIT_DEFAULT,
  PULL_LIMIT_MAX,
  type PushBody,
  parseLimit,
  parseSince,
  pushSchema,
} from './protocol.js';
import { type ScreenDeps, screenChanges } from './screen.js';
import type { ChangeResult, DocumentStore, EncodedPullPage, PullPage } from './store/types.js';
import { encodeChange } from './wire.js';

export interface PushPullDeps extends ScreenDeps {
  readonly store: DocumentStore;
  readonly metrics: SyncMetrics;
  readonly applyChanges: ApplyChanges;
  readonly resolveCollections: (
    user: SyncUser,
    operation: SyncOperation,
    requested: readonly string[] | null,
  ) => Promise<string[] | null>;
  readonly maxBodyBytes: number;
  readonly maxChanges: number;
  readonly atomicPush: boolean;
  /** The server's clock now: every answer carries it so clients can adopt it. */
  readonly clock: () => string;
}

/** `/sync/push`: validates the whole body, then applies its changes in one transaction. */
export async function handlePush(
  deps: PushPullDeps,
  user: SyncUser,
  request: Request,
): Promise<{ results: ChangeResult[]; server_hlc: string }> {
  const { metrics, logger } = deps;
  const started = performance.now();
  try {
    const text = await readBody(request, deps.maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SyncHttpError(
        400,
        'INVALID_JSON',
        'Expected the body to be JSON: {"client_id", "changes": [...]}',
      );
    }
    const parsed = pushSchema.safeParse(json);
    if (!parsed.success) {
      throw new SyncHttpError(400, 'REQUEST_INVALID', describeZodError(parsed.error));
    }
    const body = parsed.data;
    if (body.changes.length > deps.maxChanges) {
      throw new SyncHttpError(
        413,
        'PAYLOAD_TOO_LARGE',
        `Expected at most ${deps.maxChanges} changes in one push, got ${body.changes.length}`,
      );
    }
    const results = await applyPermitted(deps, user, body);
    let conflicts = 0;
    let rejected = 0;
    for (const result of results) {
      if (result.status === 'conflict_resolved') conflicts++;
      else if (result.status === 'rejected') rejected++;
    }
    metrics.push.inc({ status: 'success' });
    metrics.pushChanges.inc(body.changes.length);
    metrics.pushDuration.observe((performance.now() - started) / 1000);
    const details = {
      scope: user.scope,
      actor: user.id,
      clientId: body.client_id,
      changes: body.changes.length,
      conflicts,
      rejected,
    };
    if (conflicts > 0 || rejected > 0) logger.warn(details, 'sync push had conflicts');
    else logger.debug?.(details, 'sync push');
    return { results, server_hlc: deps.clock() };
  } catch (error) {
    metrics.push.inc({ status: 'failure' });
    throw error;
  }
}

/**
 * A change refused by screening (an unknown or forbidden collection, the incoming hook) is
 * that change's `rejected` result; the others are applied, unless the batch is atomic.
 */
async function applyPermitted(
  deps: PushPullDeps,
  user: SyncUser,
  body: PushBody,
): Promise<ChangeResult[]> {
  const { rejections, stored } = await screenChanges(deps, user, body.changes);
  const atomic = body.atomic ?? deps.atomicPush;
  const refusedAt = rejections.findIndex((rejection) => rejection !== null);
  const permitted = body.changes.filter((_, index) => rejections[index] === null);
  const applied =
    refusedAt >= 0 && atomic
      ? []
      : (
          await deps.applyChanges({
            user,
            clientId: body.client_id,
            changes: permitted,
            storedData: stored.filter((_, index) => rejections[index] === null),
            atomic,
            force: false,
          })
        ).results;
  let next = 0;
  return body.changes.map((change, index): ChangeResult => {
    const rejection = rejections[index];
    if (rejection) return rejection;
    if (refusedAt >= 0 && atomic) {
      return {
        doc_id: change.doc_id,
        collection: change.collection,
        status: 'rejected',
        code: 'BATCH_ABORTED',
        error: `Not applied: the batch is atomic and change ${refusedAt} was refused`,
      };
    }
    return applied[next++]!;
  });
}

export interface PullQuery {
  readonly since: string | undefined;
  readonly limit: string | undefined;
  readonly collections: string[] | null;
}

/**
 * `/sync/pull`: the scope's oplog after `since` as UTF-8 JSON, or a full-resync answer as
 * JSON text.
 */
export async function handlePull(
  deps: PushPullDeps,
  user: SyncUser,
  query: PullQuery,
): Promise<string> {
  const { store, metrics, logger } = deps;
  metrics.pull.inc();
  const since = parseSince(query.since);
  const limit = parseLimit(query.limit, PULL_LIMIT_DEFAULT, PULL_LIMIT_MAX);
  const collections = await deps.resolveCollections(user, 'pull', query.collections);
  const retention = await store.retention(user.scope);
  const resync = (reason: string) => {
    metrics.resyncRequired.inc({ reason });
    logger.info({ scope: user.scope, actor: user.id, reason }, 'sync pull: full resync required');
    return JSON.stringify({
      full_resync_required: true,
      collections: collections ?? [],
      reason,
      server_hlc: deps.clock(),
    });
  };
  // A client migrating from the reference server: its cursor means nothing here.
  if (since.foreign) return resync('foreign_version');
  if (since.version !== null && hlcWallMs(since.version) < retention.prunedBeforeMs) {
    return resync('retention');
  }
  const seq =
    since.version !== null ? await store.seqAtVersion(user.scope, since.version) : since.seq;
  if (seq < retention.prunedThroughSeq) return resync('retention');
  const pageQuery = { scope: user.scope, afterSeq: seq, collections, limit };
  const page = store.pullEncoded
    ? await store.pullEncoded(pageQuery)
    : encodePage(await store.pull(pageQuery));
  if (page.count === 0 && seq > 0 && seq > (await store.lastSeq(user.scope))) {
    return resync('unknown_cursor');
  }
  metrics.pullServed.inc(page.count);
  // A string, not a Buffer: a page's bytes as Buffers (the store's, then the answer's copy) are
  // external memory, and ~250 KB of it per pull made V8 start a mark-compact every ~70 ms of
  // pulls, whose concurrent marking took the CPU from others (round 14, bench/README.md).
  // Strings die in the young generation.
  return `{"changes":[${page.changes}],"last_seq":"${page.lastSeq}","has_more":${page.hasMore},"server_hlc":"${deps.clock()}"}`;
}

function encodePage(page: PullPage): EncodedPullPage {
  return {
    changes: page.entries.map((entry) => encodeChange(entry)).join(','),
    count: page.entries.length,
    lastSeq: page.lastSeq,
    hasMore: page.hasMore,
  };
}
