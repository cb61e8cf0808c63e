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
    const { done, value } = await reader.read();
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
