import * as crypto from 'node:crypto';
import { canonicalJson, type Fields, RecordError } from '../model/index.js';

/**
 * The content hash of what an update would write: a sha256 of the canonical form, so key
 * order and Date objects vs ISO strings of the same instant make no difference.
 * Throws a RecordError naming the record and the field when a value has no JSON form.
 */
export function contentHash(key: string, fields: Fields, body: string | undefined): string {
  let canonical: string;
  try {
    // The canonical JSON of `{ b: body, f: fields }`, written around the fields' own: no
    // wrapper object to build, sort and walk for every record.
    const fieldsJson = canonicalJson(fields);
    canonical =
      body === undefined ? `{"f":${fieldsJson}}` : `{"b":${canonicalJson(body)},"f":${fieldsJson}}`;
  } catch (error) {
    if (error instanceof RecordError) {
      throw new RecordError(
        `record ${key}: ${error.message}`,
        { key, field: error.field },
        { cause: error },
      );
    }
    throw error;
  }
  return sha256(canonical);
}

type OneShotHash = (algorithm: string, data: string, encoding: 'base64url') => string;
/** `crypto.hash` (Node >= 20.12) hashes without a Hash object: half the cost per record. */
const oneShot = (crypto as { hash?: OneShotHash }).hash;
const sha256: (text: string) => string = oneShot
  ? (text) => oneShot('sha256', text, 'base64url')
  : (text) => crypto.createHash('sha256').update(text).digest('base64url');

/** The hash a link gets when its object was archived, so a returning record is rewritten. */
export const ARCHIVED_HASH = 'archived';
