import { z } from 'zod';
import type { RunnableTask } from '../engine/index.js';
import { KeepsyncError, type NeutralValue, type SyncRecord } from '../model/index.js';
import { checkOptions, fn, type ScheduleOptions, scheduleSchema } from '../sync/index.js';
import { runTwoWay, type TwoWayRunResult } from './run.js';
import { type FieldValues, type Side, TWO_WAY_UNIT, type TwoWaySide } from './types.js';

/** One mapped field: the right field's name, or the name with converters per direction. */
export type FieldMapping =
  | string
  | {
      /** The right side's field. */
      readonly field: string;
      /** Left value -> right value. @default identity */
      readonly toRight?: ((value: NeutralValue) => NeutralValue) | undefined;
      /** Right value -> left value. @default identity */
      readonly toLeft?: ((value: NeutralValue) => NeutralValue) | undefined;
    };

export interface ConflictContext {
  readonly task: string;
  readonly field: string;
  readonly rightField: string;
  readonly leftKey: string;
  readonly rightKey: string;
  readonly left: NeutralValue;
  /** In the right side's representation. */
  readonly right: NeutralValue;
  /** The right value converted to the left representation. */
  readonly rightAsLeft: NeutralValue;
  /** The last agreed value (left representation); null on an initial match. */
  readonly base: NeutralValue | null;
  readonly leftUpdatedAt: Date | null;
  readonly rightUpdatedAt: Date | null;
}

/** What a conflict resolves to: a side, a value (left representation), or a person's decision. */
export type ConflictChoice = 'left' | 'right' | 'manual' | { readonly value: NeutralValue };

export type ConflictRule =
  | 'newer'
  | 'left-wins'
  | 'right-wins'
  | 'manual'
  | ((context: ConflictContext) => ConflictChoice);

/**
 * What a deletion on one side does: `propagate` deletes the partner, `ignore` only unlinks
 * (the partner stays and is no longer synced), `restore` recreates the deleted object from
 * its partner. Under `propagate`, a partner edited since the last sync is not deleted: the
 * edit wins and the deleted object is recreated with it, so no edit is lost to a delete.
 */
export type DeletePolicyTwoWay = 'propagate' | 'ignore' | 'restore';

export interface MatchRecord {
  readonly key: string;
  /** Mapped values in the left representation (right values converted with `toLeft`). */
  readonly values: FieldValues;
  readonly record: SyncRecord;
}

export interface MatchOptions {
  /** Explicit links for the first sync: left key -> right key. */
  keys?: Readonly<Record<string, string>> | undefined;
  /**
   * Objects with the same key on both sides are the same object. Keys keepsync creates
   * follow the partner's key, so this also re-links everything after a lost store.
   * @default true
   */
  sameKey?: boolean | undefined;
  /**
   * Match unlinked objects by these left fields (compared after `toLeft`), e.g.
   * `['title', 'due']`, or by a function returning a match key (null = never matches).
   * Keys shared by several objects on one side are reported as ambiguous and left alone.
   */
  by?: readonly string[] | ((record: MatchRecord, side: Side) => string | null | undefined);
}

export interface TwoWayOptions {
  /** Unique name; keys the task's pairs, cursors and conflicts in the store. */
  name: string;
  left: TwoWaySide;
  right: TwoWaySide;
  /** Left field -> right field (optionally with converters). Only these fields are synced. */
  fields: Readonly<Record<string, FieldMapping>>;
  /** What settles a field changed on both sides to different values. @default 'newer' */
  conflict?: ConflictRule | undefined;
  /** Matching of unlinked objects (on the first sync and for objects created on both sides). */
  match?: MatchOptions | undefined;
  /** What a deletion on each side does. @default { left: 'ignore', right: 'ignore' } */
  deletes?: { left?: DeletePolicyTwoWay; right?: DeletePolicyTwoWay } | undefined;
  /**
   * Key of an object created on a side for its partner. @default the partner's key (a key
   * already taken on that side gets `~2`, `~3`...)
   */
  createKey?:
    | {
        left?: ((partner: MatchRecord) => string) | undefined;
        right?: ((partner: MatchRecord) => string) | undefined;
      }
    | undefined;
  /**
   * A run that would delete more than this share (0-1) of the linked pairs on one side stops
   * and writes nothing (a listing that came back empty must not wipe the other side).
   * Below `minPairs` pairs it does not apply. @default { maxShare: 0.5, minPairs: 10 }
   */
  deleteGuard?: { maxShare?: number; minPairs?: number } | undefined;
  /**
   * Pairs written per checkpoint. Matched pairs with nothing to write (most of an initial
   * sync) are stored 50 batches per commit. @default 200
   */
  batchSize?: number | undefined;
  schedule?: ScheduleOptions | undefined;
}

export interface ResolvedField {
  readonly left: string;
  readonly right: string;
  readonly toRight: (value: NeutralValue) => NeutralValue;
  readonly toLeft: (value: NeutralValue) => NeutralValue;
}

/**
 * A checked two-way task. It is a RunnableTask, so the embedded engine schedules it like a
 * pipeline (`Engine.create({ tasks: [task] })`), with one unit, `pairs`.
 */
export interface TwoWayTask extends RunnableTask {
  readonly kind: 'twoway';
  readonly name: string;
  readonly left: TwoWaySide;
  readonly right: TwoWaySide;
  readonly fields: readonly ResolvedField[];
  readonly conflict: ConflictRule;
  readonly match: {
    readonly keys: ReadonlyMap<string, string>;
    readonly sameKey: boolean;
    readonly by: MatchOptions['by'];
  };
  readonly deletes: { readonly left: DeletePolicyTwoWay; readonly right: DeletePolicyTwoWay };
  readonly createKey: {
    readonly left: (partner: MatchRecord) => string;
    readonly right: (partner: MatchRecord) => string;
  };
  readonly deleteGuard: { readonly maxShare: number; readonly minPairs: number };
  readonly batchSize: number;
  readonly schedule: ScheduleOptions;
  run(options: Parameters<RunnableTask['run']>[0]): Promise<TwoWayRunResult>;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const RULES = ['newer', 'left-wins', 'right-wins', 'manual'];
const POLICIES: readonly DeletePolicyTwoWay[] = ['propagate', 'ignore', 'restore'];
const identity = (value: NeutralValue) => value;
const partnerKey = (partner: MatchRecord) => partner.key;

const sides = <T extends z.ZodType>(member: T) =>
  z.object({ left: member.optional(), right: member.optional() }).strict().optional();

/** The keys a two-way task accepts: a typo is an error, not a silently ignored option. */
const twoWaySchema = z
  .object({
    name: z.unknown().optional(),
    left: z.unknown().optional(),
    right: z.unknown().optional(),
    fields: z.unknown().optional(),
    conflict: z.unknown().optional(),
    match: z
      .object({
        keys: z.unknown().optional(),
        sameKey: z.boolean().optional(),
        by: z.unknown().optional(),
      })
      .strict()
      .optional(),
    deletes: sides(z.unknown().optional()),
    createKey: sides(fn()),
    deleteGuard: z
      .object({ maxShare: z.number().optional(), minPairs: z.number().optional() })
      .strict()
      .optional(),
    batchSize: z.unknown().optional(),
    schedule: scheduleSchema,
  })
  .strict();

/** Checks a two-way task's options and applies defaults once. */
export function defineTwoWay(options: TwoWayOptions): TwoWayTask {
  const where = `two-way task ${JSON.stringify(options?.name)}`;
  checkOptions(twoWaySchema, options ?? {}, where);
  const fail = (message: string) =>
    new KeepsyncError('CONFIG_INVALID', `Expected ${where} ${message}`);
  if (typeof options?.name !== 'string' || !NAME_PATTERN.test(options.name)) {
    throw fail("to have a name of letters, digits, '_', '.' or '-' (at most 100)");
  }
  for (const side of ['left', 'right'] as const) {
    const value = options[side];
    if (!value || typeof value.read !== 'function' || typeof value.write !== 'function') {
      throw fail(`to have a \`${side}\` side with read() and write()`);
    }
  }
  const entries = Object.entries(options.fields ?? {});
  if (entries.length === 0) throw fail('to map at least one field in `fields`');
  const rightNames = new Set<string>();
  const fields = entries.map(([left, mapping]): ResolvedField => {
    const resolved =
      typeof mapping === 'string'
        ? { left, right: mapping, toRight: identity, toLeft: identity }
        : {
            left,
            right: mapping?.field,
            toRight: mapping?.toRight ?? identity,
            toLeft: mapping?.toLeft ?? identity,
          };
    if (typeof resolved.right !== 'string' || resolved.right === '') {
      throw fail(`\`fields.${left}\` to name a right field`);
    }
    if (rightNames.has(resolved.right)) {
      throw fail(`to map right field \`${resolved.right}\` only once in \`fields\``);
    }
    rightNames.add(resolved.right);
    return resolved;
  });
  const conflict = options.conflict ?? 'newer';
  if (typeof conflict !== 'function' && !RULES.includes(conflict)) {
    throw fail(
      `\`conflict\` to be one of ${RULES.join(', ')} or a function, got ${JSON.stringify(conflict)}`,
    );
  }
  const deletes = {
    left: options.deletes?.left ?? 'ignore',
    right: options.deletes?.right ?? 'ignore',
  };
  for (const side of ['left', 'right'] as const) {
    if (!POLICIES.includes(deletes[side])) {
      throw fail(
        `\`deletes.${side}\` to be one of ${POLICIES.join(', ')}, got ${JSON.stringify(deletes[side])}`,
      );
    }
  }
  const by = options.match?.by;
  if (Array.isArray(by)) {
    const known = new Set(fields.map((field) => field.left));
    for (const name of by) {
      if (!known.has(name)) throw fail(`\`match.by\` to list mapped left fields, got \`${name}\``);
    }
  }
  const maxShare = options.deleteGuard?.maxShare ?? 0.5;
  if (!(maxShare >= 0 && maxShare <= 1)) {
    throw fail(`\`deleteGuard.maxShare\` to be between 0 and 1, got ${maxShare}`);
  }
  const batchSize = options.batchSize ?? 200;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw fail(`\`batchSize\` to be a positive integer, got ${batchSize}`);
  }
  const everyMs = options.schedule?.everyMs;
  if (everyMs !== undefined && !(Number.isFinite(everyMs) && everyMs >= 1000)) {
    throw fail(`\`schedule.everyMs\` to be at least 1000, got ${everyMs}`);
  }
  const task: TwoWayTask = {
    kind: 'twoway',
    name: options.name,
    left: options.left,
    right: options.right,
    fields,
    conflict,
    match: {
      keys: new Map(Object.entries(options.match?.keys ?? {})),
      sameKey: options.match?.sameKey ?? true,
      by,
    },
    deletes,
    createKey: {
      left: options.createKey?.left ?? partnerKey,
      right: options.createKey?.right ?? partnerKey,
    },
    deleteGuard: { maxShare, minPairs: options.deleteGuard?.minPairs ?? 10 },
    batchSize,
    schedule: options.schedule ?? {},
    units: () => [{ id: TWO_WAY_UNIT }],
    run: (run) =>
      runTwoWay({
        store: run.store,
        task,
        trigger: run.trigger,
        signal: run.signal,
        logger: run.logger,
        onProgress: run.onProgress,
      }),
  };
  return task;
}
