import { SyncHttpError } from './errors.js';

/** Reads a body of at most `max` bytes; 413 as soon as it is known to be larger. */
export async function readBody(request: Request, max: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) {
    throw new SyncHttpError(
      413,
      'PAYLOAD_TOO_LARGE',
      `Expected a body of at most ${max} bytes, got ${declared}`,
    );
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await reader.read();
    } catch (error) {
      // The client hung up mid-body: its doing, not a server failure, and nothing was applied.
      throw new SyncHttpError(
        400,
        'REQUEST_ABORTED',
        'The connection closed before the body was complete',
        { cause: error },
      );
    }
    const { done, value } = read;
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new SyncHttpError(413, 'PAYLOAD_TOO_LARGE', `Expected a body of at most ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `a, b,,a` -> `['a', 'b']`; empty or missing -> null. */
export function splitList(text: string | undefined): string[] | null {
  if (text === undefined || text.trim() === '') return null;
  return [
    ...new Set(
      text
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
}
