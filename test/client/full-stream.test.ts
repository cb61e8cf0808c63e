import { describe, expect, it } from 'vitest';
import { fullResponse } from '../../src/client/full-stream.js';

/** A response whose body arrives in pieces of `size` bytes. */
function bodyIn(text: string, size: number): Response {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += size) {
        controller.enqueue(bytes.slice(at, at + size));
      }
      controller.close();
    },
  });
  return new Response(body);
}

describe('reading a /sync/full body', () => {
  const text = [
    '{"type":"collection","collection":"notes"}',
    '["n1","v1",false,{"text":"héllo 😀 ünïcode"},"u"]',
    '["n2","v2",true,null,null]',
    '{"type":"end","count":2}',
    '',
  ].join('\n');

  it.each([1, 2, 3, 7, 1000])(
    'keeps characters whole when %i-byte pieces split them',
    async (size) => {
      const rest = await fullResponse(bodyIn(text, size)).read(async () => {});
      expect(rest).toEqual([
        {
          collection: 'notes',
          docId: 'n1',
          version: 'v1',
          deleted: false,
          data: { text: 'héllo 😀 ünïcode' },
        },
        { collection: 'notes', docId: 'n2', version: 'v2', deleted: true, data: null },
      ]);
    },
  );

  it('refuses a body cut inside its last line, or a row before any collection line', async () => {
    await expect(
      fullResponse(bodyIn(text.slice(0, text.indexOf('😀')), 3)).read(async () => {}),
    ).rejects.toThrow(/was cut/);
    await expect(
      fullResponse(bodyIn('["n1","v1",false,{},null]\n{"type":"end","count":1}\n', 5)).read(
        async () => {},
      ),
    ).rejects.toThrow(/before its collection line/);
  });
});
