import { z } from 'zod';
import { canonicalJson, type Hlc, isHlc, parseHlc } from '../model/index.js';
import { sha256 } from '../net/index.js';
import { ConflictRejection, SyncHttpError } from './errors.js';
import type {
  CollectionOptions,
  ConflictResolver,
  DeletePolicy,
  ResolverDecision,
  SyncUser,
} from './options.js';
import type { ChangeResult, Decide, Decision, StoreChange, StoredDocument } from './store/types.js';

export const COLLECTION_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const PULL_LIMIT_DEFAULT = 500;
export const PULL_LIMIT_MAX = 1000;
export const FULL_LIMIT_MAX = 100_000;

/** How deeply `data` may nest (`{}` is 1): the same limit for a change with or without an id. */
export const MAX_DATA_DEPTH = 100;

/** A UTF-16 surrogate without its pair: not Unicode, so it cannot be stored as sent. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !value.includes('\u0000'), { message: 'must not contain NUL characters' })
    .refine((value) => !LONE_SURROGATE.test(value), {
      message: 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)',
    });

/**
 * The nesting depth of a JSON value (`{}` is 1), exact up to MAX_DATA_DEPTH and some depth
 * past it beyond: the walk stops there, so it never recurses more than that many levels, and
 * it allocates nothing (it runs on every pushed document).
 */
export function jsonDepth(value: unknown): number {
  return depthBelow(value, 0);
}

function depthBelow(node: unknown, above: number): number {
  if (typeof node !== 'object' || node === null) return 0;
  const depth = above + 1;
  if (depth > MAX_DATA_DEPTH) return depth;
  let deepest = depth;
  // for...in covers arrays (their indexes) and objects alike; JSON arrays have no holes.
  for (const key in node) {
    if (!Object.hasOwn(node, key)) continue;
    deepest = Math.max(deepest, depthBelow((node as Record<string, unknown>)[key], depth));
    if (deepest > MAX_DATA_DEPTH) return deepest;
  }
  return deepest;
}

/**
 * `data`: a JSON object, taken as parsed. Not copied (a copy would drop an own `__proto__`
 * key, and the server would acknowledge data it did not store).
 */
const documentData = z
  .custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    { message: 'must be a JSON object' },
  )
  .refine((value) => jsonDepth(value) <= MAX_DATA_DEPTH, {
    message: `must not nest deeper than ${MAX_DATA_DEPTH} levels`,
  });

const hlcText = z
  .string()
  .refine(isHlc, { message: 'must be an HLC version like 001700000000000-000000-node' });

export const changeSchema = z
  .object({
    /** A client-chosen id, unique per client: the idempotency key of a retried push. */
    id: text(200).optional(),
    collection: z.string().regex(COLLECTION_PATTERN, {
      message: "must be 1-64 letters, digits, '_', '.' or '-'",
    }),
    operation: z.enum(['upsert', 'delete']),
    doc_id: z.union([text(512), z.number().int()]).transform(String),
    data: documentData.nullable().optional(),
    /** `""` on a first write means none, as the reference server's clients send it. */
    parent_version: z.preprocess(
      (value) => (value === '' ? null : value),
      hlcText.nullable().optional(),
    ),
    /** The client's HLC of the edit, for last-writer-wins across devices. */
    hlc: hlcText.optional(),
  })
  .superRefine((change, context) => {
    if (change.operation === 'upsert' && (change.data === undefined || change.data === null)) {
      context.addIssue({
        code: 'custom',
        path: ['data'],
        message: 'is required for an upsert (an object)',
      });
    }
  });

export const pushSchema = z.object({
  client_id: text(200),
  changes: z.array(changeSchema),
  atomic: z.boolean().optional(),
});

export type WireChange = z.output<typeof changeSchema>;
export type PushBody = z.output<typeof pushSchema>;

/** "changes[3].operation: Invalid option..." — names the culprit. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The request body is invalid';
  const path = issue.path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`,
    )
    .join('');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return `${path ? `\`${path}\` ` : ''}${issue.message}${more}`;
}

/** A push change as the store and the decider see it. */
export interface PreparedChange extends StoreChange {
  readonly wire: WireChange;
  /** JSON text of `data` (null for deletes). */
  readonly dataText: string | null;
  /** Server writes only: `data` is merged into the stored data inside the transaction. */
  readonly patch?: boolean | undefined;
}

/**
 * The idempotency key of a change: the client's change id, or else a digest of what the change
 * says (document, parent version, operation, data), so only a true repeat is collapsed.
 */
export function idempotencyKey(change: WireChange): string {
  if (change.id !== undefined) return `id:${change.id}`;
  // `data` as parsed from the request is plain JSON: its canonical form is that of its text.
  const canonical = canonicalJson([
    change.collection,
    change.doc_id,
    change.parent_version ?? null,
    change.operation,
    change.operation === 'upsert' ? (change.data ?? null) : null,
  ]);
  return `h:${sha256(canonical)}`;
}

/**
 * `stored`: data to store instead of the pushed data (the incoming hook's). The idempotency
 * key stays the pushed change's, so a retry of the same push is recognised.
 */
export function prepareChange(
  change: WireChange,
  stored?: Record<string, unknown>,
): PreparedChange {
  const pushedText = change.operation === 'upsert' ? JSON.stringify(change.data ?? {}) : null;
  const replaced = stored !== undefined && change.operation === 'upsert';
  return {
    collection: change.collection,
    docId: change.doc_id,
    idempotencyKey: idempotencyKey(change),
    wire: replaced ? { ...change, data: stored } : change,
    dataText: replaced ? JSON.stringify(stored) : pushedText,
  };
}

/** Last-writer-wins by edit HLC: the later edit wins; equal times keep what is stored. */
export const lastWriterWins: ConflictResolver = ({ current, incoming }) =>
  incoming.version > (current.editVersion ?? current.version)
    ? { action: 'accept' }
    : { action: 'keep' };

/**
 * The time an edit counts as made, for last-writer-wins. A device clock within the HLC's drift
 * bound is merged (every version issued later is later than it). One further ahead is never a
 * reason to refuse the edit (phones with wrong clocks are common): the edit is ordered by the
 * server's receipt instead, so it neither wins every conflict for as long as the device is
 * ahead nor drags the server's clock, and so everyone else's edits, into its future.
 */
export function editTime(hlc: Hlc, clientHlc: string): string {
  try {
    hlc.receive(clientHlc);
    return clientHlc;
  } catch {
    return hlc.tick();
  }
}

export interface DeciderOptions {
  readonly hlc: Hlc;
  readonly user: SyncUser;
  readonly collectionOptions: (collection: string) => CollectionOptions;
  readonly defaultResolver: ConflictResolver;
  readonly defaultDeletePolicy: DeletePolicy;
  /** Called once per detected conflict. */
  readonly onConflict: (collection: string) => void;
  readonly onResolverError: (error: unknown, collection: string, docId: string) => void;
  /** Server-side writes without a parent version overwrite whatever is stored. */
  readonly force?: boolean;
}

function parseData(text: string | null): Record<string, unknown> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
}

/**
 * The conflict engine: runs inside the store transaction for each change. Fast path when the
 * parent version matches; otherwise the delete policy and then the collection's resolver decide.
 */
export function createDecider(options: DeciderOptions): Decide<PreparedChange> {
  const { hlc } = options;
  return function decide(change, current): Decision {
    const wire = change.wire;
    const base = { doc_id: change.docId, collection: change.collection };
    /** The client's edit time, once its clock has been merged. */
    let incomingVersion: string | null = null;
    const write = (
      operation: 'upsert' | 'delete',
      data: string | null,
      status: 'accepted' | 'conflict_resolved',
      document?: ChangeResult['document'],
      editVersion?: string,
    ): Decision => {
      const version = hlc.tick();
      return {
        kind: 'write',
        operation,
        data: operation === 'delete' ? null : data,
        version,
        editVersion: editVersion ?? incomingVersion ?? version,
        changeId: wire.id ?? null,
        result: { ...base, status, new_version: version, ...(document ? { document } : {}) },
      };
    };
    const reject = (code: string, message: string): Decision => ({
      kind: 'reject',
      result: { ...base, status: 'rejected', code, error: message },
    });
    const keep = (stored: StoredDocument, status: 'accepted' | 'conflict_resolved'): Decision => ({
      kind: 'keep',
      result: {
        ...base,
        status,
        new_version: stored.version,
        document: {
          data: parseData(stored.data),
          deleted: stored.deleted,
          version: stored.version,
        },
      },
    });

    if (wire.hlc !== undefined) incomingVersion = editTime(hlc, wire.hlc);

    const parent = wire.parent_version ?? null;
    const forced = options.force === true && wire.parent_version === undefined;
    if (current === null || forced || parent === current.version) {
      if (current?.deleted && wire.operation === 'delete') return keep(current, 'accepted');
      if (change.patch && wire.operation === 'upsert') {
        const stored = current && !current.deleted ? parseData(current.data) : null;
        const merged = { ...stored, ...parseData(change.dataText) };
        // An unchanged document gets no new version, so a repeated patch reaches no client.
        if (stored && canonicalJson(merged) === canonicalJson(stored)) {
          return keep(current!, 'accepted');
        }
        return write('upsert', JSON.stringify(merged), 'accepted');
      }
      return write(wire.operation, change.dataText, 'accepted');
    }

    // A conflict: the client edited a version that is no longer the stored one.
    options.onConflict(change.collection);
    const settings = options.collectionOptions(change.collection);
    const policy = settings.deletePolicy ?? options.defaultDeletePolicy;
    if (current.deleted) {
      if (wire.operation === 'delete') return keep(current, 'accepted');
      if (policy === 'reject_update') {
        return reject(
          'DOCUMENT_DELETED',
          `${change.collection}/${change.docId} was deleted (version ${current.version}); the update is refused`,
        );
      }
      if (policy === 'delete_wins') return keep(current, 'conflict_resolved');
      return write('upsert', change.dataText, 'conflict_resolved');
    }
    if (wire.operation === 'delete' && policy === 'delete_wins') {
      return write('delete', null, 'conflict_resolved');
    }

    const resolver = settings.resolver ?? options.defaultResolver;
    const incomingEditVersion = incomingVersion ?? hlc.tick();
    let decision: ResolverDecision;
    try {
      decision = resolver({
        collection: change.collection,
        docId: change.docId,
        user: options.user,
        current: {
          data: parseData(current.data),
          version: current.version,
          editVersion: current.editVersion,
          deleted: false,
          actorId: current.actorId,
        },
        incoming: {
          operation: wire.operation,
          data: (wire.data as Record<string, unknown> | null | undefined) ?? null,
          parentVersion: parent,
          version: incomingEditVersion,
        },
      });
    } catch (error) {
      if (error instanceof ConflictRejection) return reject(error.code, error.message);
      options.onResolverError(error, change.collection, change.docId);
      return reject('RESOLVER_FAILED', 'The conflict resolver failed; the change was not applied');
    }
    switch (decision.action) {
      case 'accept':
        return write(wire.operation, change.dataText, 'conflict_resolved');
      case 'keep':
        return keep(current, 'conflict_resolved');
      case 'delete': {
        const decided = write('delete', null, 'conflict_resolved');
        if (decided.kind !== 'write') return decided;
        return {
          ...decided,
          result: {
            ...decided.result,
            document: { data: null, deleted: true, version: decided.version },
          },
        };
      }
      case 'merge': {
        const text = JSON.stringify(decision.data);
        // A merge holds both edits, so it is as recent as the later of them.
        const edited =
          current.editVersion > incomingEditVersion ? current.editVersion : incomingEditVersion;
        const decided = write('upsert', text, 'conflict_resolved', undefined, edited);
        if (decided.kind !== 'write') return decided;
        return {
          ...decided,
          result: {
            ...decided.result,
            document: { data: decision.data, deleted: false, version: decided.version },
          },
        };
      }
      case 'reject':
        return reject(
          decision.code ?? 'CONFLICT_REJECTED',
          decision.reason ?? 'The change was rejected',
        );
      default:
        options.onResolverError(
          new Error(`unknown resolver action ${JSON.stringify(decision)}`),
          change.collection,
          change.docId,
        );
        return reject(
          'RESOLVER_FAILED',
          'The conflict resolver failed; the change was not applied',
        );
    }
  };
}

export interface SinceCursor {
  /** The oplog seq to read after. */
  readonly seq: number;
  /** Set when `since` was an HLC version (PRD compatibility): resolved against the oplog. */
  readonly version: string | null;
  /** Set when `since` is a version of the reference server: only a full resync can follow. */
  readonly foreign?: true;
}

/** fastapi-offline-sync's versions: `20260502T120000.000Z-0001`, optionally `-a3f2` (node). */
const REFERENCE_VERSION = /^\d{8}T\d{6}\.\d{3}Z-\d{4}(?:-[0-9a-f]{4})?$/;

/**
 * `since` is the `last_seq` cursor the server handed out (decimal digits) or, for clients of
 * the PRD's contract, the HLC version of the last change applied.
 */
export function parseSince(text: string | undefined | null): SinceCursor {
  if (text === undefined || text === null || text === '' || text === '0') {
    return { seq: 0, version: null };
  }
  if (/^\d{1,15}$/.test(text)) return { seq: Number(text), version: null };
  if (isHlc(text)) return { seq: 0, version: text };
  if (REFERENCE_VERSION.test(text)) return { seq: 0, version: null, foreign: true };
  throw new SyncHttpError(
    400,
    'SINCE_INVALID',
    `Expected \`since\` to be a last_seq cursor (digits) or an HLC version like 001700000000000-000000-node, got ${JSON.stringify(text.slice(0, 80))}`,
  );
}

export function hlcWallMs(version: string): number {
  return parseHlc(version).wallMs;
}

export function parseLimit(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text)) {
    throw new SyncHttpError(
      400,
      'LIMIT_INVALID',
      `Expected \`limit\` to be a whole number from 1 to ${max}, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  const value = Number(text);
  if (value < 1 || value > max) {
    throw new SyncHttpError(
      400,
      'LIMIT_INVALID',
      `Expected \`limit\` to be at most ${max} (and at least 1), got ${value}`,
    );
  }
  return value;
}
