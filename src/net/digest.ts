import * as crypto from 'node:crypto';

type OneShotHash = (algorithm: string, data: string, encoding: 'base64url') => string;
/** `crypto.hash` (Node >= 20.12) hashes without a Hash object: half the cost of a short text. */
const oneShot = (crypto as { hash?: OneShotHash }).hash;

/** The sha256 of a text (its UTF-8), base64url: for per-record digests on hot paths. */
export const sha256: (text: string) => string = oneShot
  ? (text) => oneShot('sha256', text, 'base64url')
  : (text) => crypto.createHash('sha256').update(text).digest('base64url');
