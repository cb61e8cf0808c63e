/// <reference lib="dom" />

/** A random id from Web Crypto (`randomUUID` needs a secure context; bytes do not). */
export function randomId(bytes = 16): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  let text = '';
  for (const byte of buffer) text += byte.toString(16).padStart(2, '0');
  return text;
}
