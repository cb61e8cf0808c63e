/// <reference lib="dom" />
import { SyncClientError } from './errors.js';
import type { BaseDocument, DocumentData } from './types.js';

/**
 * One response of `/sync/full` whose headers are in: where the next page starts (null after
 * the last one), the `X-Sync-LastSeq` to pull from afterwards, and the NDJSON body, not read yet.
 */
export interface FullResponse {
  readonly next: string | null;
  readonly lastSeq: string;
  /**
   * Reads the body: every `batchSize` documents go to `onBatch` as they arrive, the rest come
   * back. The body must end with the server's end line: a stream cut anywhere before it is an
   * error, never a short page.
   */
  read(
    onBatch: (documents: BaseDocument[]) => Promise<void>,
    batchSize?: number,
  ): Promise<BaseDocument[]>;
  /** Drops the body unread. */
  cancel(): Promise<void>;
}

/** A document of a `format=rows` response, in the collection of the last collection line. */
type DocumentRow = readonly [
  docId: string,
  version: string,
  deleted: boolean,
  data: DocumentData | null,
  actorId: string | null,
];

/** `Array.isArray` does not narrow a union holding a readonly tuple. */
const isDocumentRow = (line: FullLine): line is DocumentRow => Array.isArray(line);

/**
 * A line of either format: `rows` (asked for; a collection line, then one array per document)
 * or `objects` (what a server from before `format` sends).
 */
type FullLine =
  | { readonly type: 'end'; readonly count: number }
  | { readonly type: 'collection'; readonly collection: string }
  | DocumentRow
  | {
      readonly type?: undefined;
      readonly collection: string;
      readonly doc_id: string;
      readonly version: string;
      readonly deleted: boolean;
      readonly data: DocumentData | null;
    };

export function fullResponse(response: Response): FullResponse {
  return {
    next: response.headers.get('x-sync-cursor'),
    lastSeq: response.headers.get('x-sync-lastseq') ?? '0',
    read: (onBatch, batchSize = 2000) => readBody(response, onBatch, batchSize),
    async cancel() {
      await response.body?.cancel().catch(() => {});
    },
  };
}

async function readBody(
  response: Response,
  onBatch: (documents: BaseDocument[]) => Promise<void>,
  batchSize: number,
): Promise<BaseDocument[]> {
  let batch: BaseDocument[] = [];
  let received = 0;
  let collection: string | null = null;
  for await (const rows of ndjsonRows(response)) {
    for (const row of rows) {
      if (isDocumentRow(row)) {
        if (collection === null) throw cutStream('a document row before its collection line');
        const deleted = row[2];
        batch.push({
          collection,
          docId: row[0],
          version: row[1],
          deleted,
          data: deleted ? null : row[3],
        });
      } else if (row.type === 'collection') {
        collection = row.collection;
        continue;
      } else if (row.type === 'end') {
        if (row.count !== received) throw cutStream(`${received} of ${row.count} documents`);
        return batch;
      } else {
        batch.push({
          collection: row.collection,
          docId: row.doc_id,
          version: row.version,
          deleted: row.deleted,
          data: row.deleted ? null : row.data,
        });
      }
      received += 1;
      if (batch.length >= batchSize) {
        await onBatch(batch);
        batch = [];
      }
    }
  }
  throw cutStream(`${received} documents and no end line`);
}

/**
 * The rows of an NDJSON body, every whole line that has arrived at once; stopping early cancels
 * the rest of the body.
 * Bytes are cut at their last newline and decoded in one call: a newline byte is never part
 * of a multi-byte UTF-8 character, and `TextDecoderStream` cost several times as much.
 */
async function* ndjsonRows(response: Response): AsyncGenerator<FullLine[]> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  try {
    // The bytes after the last newline seen: the start of a line still arriving.
    let held: Uint8Array | null = null;
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      const end = value.lastIndexOf(NEWLINE);
      if (end < 0) {
        held = joinBytes(held, value);
        continue;
      }
      const lines = decoder.decode(joinBytes(held, value.subarray(0, end)));
      held = end + 1 < value.length ? value.slice(end + 1) : null;
      yield parseLines(lines);
    }
    finished = true;
    // A last line without its newline is a line cut short: it fails to parse.
    const rest = held ? decoder.decode(held) : '';
    if (rest.trim() !== '') yield parseLines(rest);
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

const NEWLINE = 0x0a;

function joinBytes(head: Uint8Array | null, tail: Uint8Array): Uint8Array {
  if (head === null) return tail;
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head);
  joined.set(tail, head.length);
  return joined;
}

/**
 * One `JSON.parse` per line. Joining the lines into one array text to parse them in one call
 * made two more copies of every page, and the garbage cost more than the calls.
 */
function parseLines(lines: string): FullLine[] {
  const rows: FullLine[] = [];
  for (let start = 0; start < lines.length; ) {
    let end = lines.indexOf('\n', start);
    if (end < 0) end = lines.length;
    const line = lines.slice(start, end);
    start = end + 1;
    try {
      rows.push(JSON.parse(line) as FullLine);
    } catch (error) {
      // Blank lines may stand between rows; anything else that is not JSON is a cut.
      if (line.trim() !== '') throw cutStream('a line that is not JSON', error);
    }
  }
  return rows;
}

function cutStream(what: string, cause?: unknown): SyncClientError {
  return new SyncClientError(
    'SYNC_FAILED',
    `The /sync/full stream was cut (${what}); the full resync is retried`,
    { cause },
  );
}
