import { canonicalJson, type Fields, RecordError } from '../model/index.js';
import { sha256 } from '../net/index.js';

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

/** The hash a link gets when its object was archived, so a returning record is rewritten. */
export const ARCHIVED_HASH = 'archived';
