import { SyncHttpError } from './errors.js';
import { errorText } from './hub.js';
import type { SyncMetrics } from './metrics.js';
import type { SyncLogger, SyncUser } from './options.js';
import { FULL_LIMIT_MAX, parseLimit } from './protocol.js';
import type {
  DocumentKey,
  DocumentSnapshot,
  DocumentStore,
  StoredDocument,
} from './store/types.js';
import { encodeCollectionLine, encodeDocumentLine, encodeDocumentRow } from './wire.js';

interface FullCursor {
  readonly after: DocumentKey;
  readonly lastSeq: number;
}

function encodeCursor(cursor: FullCursor): string {
  return Buffer.from(
    JSON.stringify({ c: cursor.after.collection, d: cursor.after.docId, s: cursor.lastSeq }),
  ).toString('base64url');
}

function decodeCursor(text: string): FullCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (
      typeof value.c === 'string' &&
      typeof value.d === 'string' &&
      Number.isSafeInteger(value.s)
    ) {
      return { after: { collection: value.c, docId: value.d }, lastSeq: value.s as number };
    }
  } catch {}
  throw new SyncHttpError(
    400,
    'CURSOR_INVALID',
    'Expected `cursor` to be the X-Sync-Cursor header of an earlier full resync response',
  );
}

export interface FullResyncDeps {
  readonly store: DocumentStore;
  readonly metrics: SyncMetrics;
  readonly logger: SyncLogger;
  readonly pageSize: number;
}

export interface FullResyncRequest {
  readonly user: SyncUser;
  readonly collections: string[];
  readonly limit: string | undefined;
  readonly cursor: string | undefined;
  readonly acceptEncoding: string | undefined;
  /** `end_marker`: `'true'` ends the stream with an end line, so a cut stream can be told apart. */
  readonly endMarker: string | undefined;
  /** `format`: `'rows'` sends each document as an array after a line naming its collection. */
  readonly format: string | undefined;
}

type LineFormat = 'objects' | 'rows';

function parseFormat(text: string | undefined): LineFormat {
  if (text === undefined || text === 'objects') return 'objects';
  if (text === 'rows') return 'rows';
  throw new SyncHttpError(
    400,
    'REQUEST_INVALID',
    `Expected \`format\` to be objects or rows, got ${JSON.stringify(text)}`,
  );
}

/** The body text of some documents; `rows` names each collection once, before its first row. */
function lineEncoder(format: LineFormat): (docs: readonly StoredDocument[]) => string {
  if (format === 'objects') {
    return (docs) => {
      let text = '';
      for (const doc of docs) text += encodeDocumentLine(doc);
      return text;
    };
  }
  let collection: string | null = null;
  return (docs) => {
    let text = '';
    for (const doc of docs) {
      if (doc.collection !== collection) {
        collection = doc.collection;
        text += encodeCollectionLine(collection);
      }
      text += encodeDocumentRow(doc);
    }
    return text;
  };
}

const utf8 = new TextEncoder();

/** One piece of the response body and how many documents it holds. */
interface BodyChunk {
  readonly bytes: Uint8Array;
  readonly count: number;
}

/** The body in pieces: the store's own rows text where it builds one, else encoded here. */
async function* bodyChunks(
  snapshot: DocumentSnapshot,
  format: LineFormat,
): AsyncGenerator<BodyChunk> {
  if (format === 'rows' && snapshot.rowPages) {
    let collection: string | null = null;
    for await (const page of snapshot.rowPages()) {
      if (page.collection !== collection) {
        collection = page.collection;
        yield { bytes: utf8.encode(encodeCollectionLine(collection)), count: 0 };
      }
      yield { bytes: page.bytes, count: page.count };
    }
    return;
  }
  const encode = lineEncoder(format);
  for await (const docs of snapshot.pages()) {
    yield { bytes: utf8.encode(encode(docs)), count: docs.length };
  }
}

function parseEndMarker(text: string | undefined): boolean {
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  throw new SyncHttpError(400, 'REQUEST_INVALID', 'Expected `end_marker` to be true or false');
}

/** The last line of a full resync asked for with `end_marker=true`: how many documents it sent. */
export function encodeEndLine(count: number): string {
  return `{"type":"end","count":${count}}\n`;
}

/** `/sync/full`: the scope's documents as NDJSON from one snapshot, paged by `X-Sync-Cursor`. */
export async function fullResyncResponse(
  deps: FullResyncDeps,
  request: FullResyncRequest,
): Promise<Response> {
  const { store, metrics, logger } = deps;
  const { user, collections } = request;
  const limit =
    request.limit === undefined ? null : parseLimit(request.limit, 1000, FULL_LIMIT_MAX);
  const cursor = request.cursor ? decodeCursor(request.cursor) : null;
  const endMarker = parseEndMarker(request.endMarker);
  const format = parseFormat(request.format);
  metrics.fullResync.inc();
  const snapshot = await store.openSnapshot({
    scope: user.scope,
    collections,
    after: cursor?.after ?? null,
    limit,
    pageSize: deps.pageSize,
  });
  // Later pages keep the first page's seq: pulling from it after the last page misses nothing.
  const lastSeq = cursor ? Math.min(cursor.lastSeq, snapshot.lastSeq) : snapshot.lastSeq;
  const headers: Record<string, string> = {
    'content-type': 'application/x-ndjson',
    'x-sync-lastseq': String(lastSeq),
    'cache-control': 'no-store',
    vary: 'accept-encoding',
  };
  if (snapshot.next) headers['x-sync-cursor'] = encodeCursor({ after: snapshot.next, lastSeq });
  const iterator = bodyChunks(snapshot, format);
  let finished = false;
  let sent = 0;
  const finish = async () => {
    if (finished) return;
    finished = true;
    await iterator.return(undefined);
    await snapshot.close();
  };
  let body: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) {
            await finish();
            if (endMarker) controller.enqueue(utf8.encode(encodeEndLine(sent)));
            controller.close();
            return;
          }
          sent += next.value.count;
          controller.enqueue(next.value.bytes);
        } catch (error) {
          logger.error({ scope: user.scope, err: errorText(error) }, 'sync full resync failed');
          await finish().catch(() => {});
          controller.error(error);
        }
      },
      async cancel() {
        await finish();
      },
    },
    { highWaterMark: 1 },
  );
  if (/\bgzip\b/i.test(request.acceptEncoding ?? '')) {
    body = body.pipeThrough(
      new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
    headers['content-encoding'] = 'gzip';
  }
  logger.info({ scope: user.scope, actor: user.id, collections, lastSeq }, 'sync full resync');
  return new Response(body, { status: 200, headers });
}
