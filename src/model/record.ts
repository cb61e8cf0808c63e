import { canonicalJson } from './canonical.js';
import { RecordError } from './errors.js';

/** A value every source may emit and every destination must accept. */
export type NeutralValue =
  | string
  | number
  | boolean
  | null
  | Date
  | readonly NeutralValue[]
  | { readonly [field: string]: NeutralValue };

export type Fields = { readonly [field: string]: NeutralValue | undefined };

/** The unit that flows through every pipeline. */
export interface SyncRecord {
  /** Stable id from the source system: never a title or a URL. */
  readonly key: string;
  readonly fields: Fields;
  /** Long-form content (markdown, notes), written as a page body by destinations that have one. */
  readonly body?: string | undefined;
  /** The source's own modification time; newest wins when several sources emit one key. */
  readonly updatedAt?: Date | undefined;
  /** Tombstone: the source says this record is gone. */
  readonly deleted?: boolean | undefined;
  /** Keys this record depends on, so destinations can order writes. */
  readonly refs?: readonly string[] | undefined;
}

/**
 * Throws a RecordError naming the record and the field when a record's shape is wrong.
 * Field values are checked when they are hashed (canonicalJson), which names the field.
 */
export function assertValidRecord(record: unknown, position: string): asserts record is SyncRecord {
  if (typeof record !== 'object' || record === null) {
    throw new RecordError(`${position} is not a record object`, {});
  }
  const candidate = record as Partial<SyncRecord>;
  if (typeof candidate.key !== 'string' || candidate.key.trim() === '') {
    throw new RecordError(`${position} has an empty key; it was not written`, {});
  }
  const key = candidate.key;
  if (typeof candidate.fields !== 'object' || candidate.fields === null) {
    throw new RecordError(`record ${key}: \`fields\` must be an object`, { key, field: 'fields' });
  }
  if (candidate.body !== undefined && typeof candidate.body !== 'string') {
    throw new RecordError(`record ${key}: \`body\` must be a string`, { key, field: 'body' });
  }
  if (
    candidate.updatedAt !== undefined &&
    !(candidate.updatedAt instanceof Date && !Number.isNaN(candidate.updatedAt.getTime()))
  ) {
    throw new RecordError(`record ${key}: \`updatedAt\` must be a valid Date`, {
      key,
      field: 'updatedAt',
    });
  }
}

/** The JSON-safe form of a record (Dates as ISO strings), used for dead letters and files. */
export function recordToJson(record: SyncRecord): string {
  return canonicalJson({
    key: record.key,
    fields: record.fields,
    body: record.body,
    updatedAt: record.updatedAt,
    deleted: record.deleted || undefined,
    refs: record.refs,
  });
}

/** Inverse of recordToJson. Field Dates come back as ISO strings, as they travel in JSON. */
export function recordFromJson(text: string): SyncRecord {
  const parsed = JSON.parse(text) as {
    key: string;
    fields: Fields;
    body?: string;
    updatedAt?: string;
    deleted?: boolean;
    refs?: string[];
  };
  return {
    key: parsed.key,
    fields: parsed.fields,
    body: parsed.body,
    updatedAt: parsed.updatedAt === undefined ? undefined : new Date(parsed.updatedAt),
    deleted: parsed.deleted,
    refs: parsed.refs,
  };
}
