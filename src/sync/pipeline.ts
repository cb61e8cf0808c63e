import { z } from 'zod';
import { KeepsyncError } from '../model/index.js';
import type { Destination, Source } from './contracts.js';
import { checkOptions, fn } from './options-check.js';
import {
  type CircuitBreakerOptions,
  type ResolvedCircuitBreaker,
  resolveCircuitBreaker,
} from './outage.js';
import type { RouteOptions } from './route.js';

export type DeletePolicy = 'ignore' | 'archive' | 'delete';

export interface ScheduleOptions {
  /** Run every this many milliseconds. @default 1_800_000 (30 minutes) */
  everyMs?: number | undefined;
  /** A cron expression (5 or 6 fields); wins over `everyMs`. */
  cron?: string | undefined;
}

export interface DeleteGuardOptions {
  /**
   * The largest share (0-1) of a unit's synced objects one run may delete or archive; a run
   * that would remove more stops and says so, deleting nothing.
   * @default 0.5
   */
  maxShare?: number | undefined;
  /** Below this many linked objects the guard does not apply. @default 10 */
  minLinks?: number | undefined;
}

export interface PipelineOptions {
  /** Unique name; keys the pipeline's state in the store. */
  name: string;
  source: Source;
  destination: Destination;
  route?: RouteOptions | undefined;
  /**
   * What a record deleted at the source does to its object. Full-refresh sources count a
   * record missing from a complete pass as deleted; any source may emit tombstones.
   * @default 'ignore'
   */
  deletes?: DeletePolicy | undefined;
  deleteGuard?: DeleteGuardOptions | undefined;
  schedule?: ScheduleOptions | undefined;
  /** Stops a run whose page the destination mostly rejects, instead of dead-lettering it. */
  circuitBreaker?: CircuitBreakerOptions | undefined;
  /**
   * Retries of a retryable write (5xx, 429, timeouts); when they run out the run fails and
   * the page is read again next run.
   * @default 5
   */
  writeRetries?: number | undefined;
  /** First backoff delay of a retried write. @default 250 */
  retryMinDelayMs?: number | undefined;
  /**
   * Periodic drift verification (the destination must be able to list its objects): after a
   * scheduled run, when the last verification is older than `everyMs`, compare the
   * destination with what keepsync wrote and, with `repair`, re-write objects edited or
   * deleted by hand. Off by default; `keepsync verify` runs one on demand.
   */
  verify?: VerifyScheduleOptions | undefined;
}

export interface VerifyScheduleOptions {
  /** Verify at most this often (milliseconds, at least 60 000). */
  everyMs: number;
  /** Re-write what drifted from the source. @default true */
  repair?: boolean | undefined;
}

export interface Pipeline {
  readonly name: string;
  readonly source: Source;
  readonly destination: Destination;
  readonly route: RouteOptions;
  readonly deletes: DeletePolicy;
  readonly deleteGuard: Required<DeleteGuardOptions>;
  readonly circuitBreaker: ResolvedCircuitBreaker;
  readonly schedule: ScheduleOptions;
  readonly writeRetries: number;
  readonly retryMinDelayMs: number;
  /** null: no periodic verification. */
  readonly verify: Required<VerifyScheduleOptions> | null;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const DELETE_POLICIES: readonly DeletePolicy[] = ['ignore', 'archive', 'delete'];

export const scheduleSchema = z
  .object({ everyMs: z.number().optional(), cron: z.string().optional() })
  .strict()
  .optional();

/** The keys a pipeline accepts: a typo is an error, not a silently ignored option. */
const pipelineSchema = z
  .object({
    name: z.unknown().optional(),
    source: z.unknown().optional(),
    destination: z.unknown().optional(),
    route: z
      .object({
        filter: fn().optional(),
        fields: z.record(z.string(), z.string()).optional(),
        transform: fn().optional(),
        createOnly: z.array(z.string()).optional(),
        destinationOwned: z.array(z.string()).optional(),
        // Checked below, with messages naming the pipeline.
        owns: z.unknown().optional(),
        syncedAtField: z.unknown().optional(),
      })
      .strict()
      .optional(),
    deletes: z.unknown().optional(),
    circuitBreaker: z.unknown().optional(),
    deleteGuard: z
      .object({ maxShare: z.number().optional(), minLinks: z.number().optional() })
      .strict()
      .optional(),
    schedule: scheduleSchema,
    writeRetries: z.number().int().min(1).optional(),
    retryMinDelayMs: z.number().min(0).optional(),
    verify: z
      .object({ everyMs: z.number().min(60_000), repair: z.boolean().optional() })
      .strict()
      .optional(),
  })
  .strict();

/** Checks a pipeline's options and applies defaults once. */
export function definePipeline(options: PipelineOptions): Pipeline {
  const where = `pipeline ${JSON.stringify(options?.name)}`;
  checkOptions(pipelineSchema, options ?? {}, where);
  if (typeof options?.name !== 'string' || !NAME_PATTERN.test(options.name)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} to have a name of letters, digits, '_', '.' or '-' (at most 100)`,
    );
  }
  if (!options.source || typeof options.source.read !== 'function') {
    throw new KeepsyncError('CONFIG_INVALID', `Expected ${where} to have a source with read()`);
  }
  if (!options.destination || typeof options.destination.open !== 'function') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} to have a destination with open()`,
    );
  }
  const deletes = options.deletes ?? 'ignore';
  if (!DELETE_POLICIES.includes(deletes)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`deletes\` to be one of ${DELETE_POLICIES.join(', ')}, got ${JSON.stringify(deletes)}`,
    );
  }
  const maxShare = options.deleteGuard?.maxShare ?? 0.5;
  if (!(maxShare >= 0 && maxShare <= 1)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`deleteGuard.maxShare\` to be between 0 and 1, got ${maxShare}`,
    );
  }
  const owns = options.route?.owns;
  if (owns !== undefined && !(Array.isArray(owns) && owns.every((f) => typeof f === 'string'))) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`route.owns\` to be a list of destination field names`,
    );
  }
  const stamp = options.route?.syncedAtField;
  if (stamp !== undefined && (typeof stamp !== 'string' || stamp === '')) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`route.syncedAtField\` to be a destination field name`,
    );
  }
  if (stamp !== undefined && owns !== undefined && !owns.includes(stamp)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`route.owns\` to include its \`route.syncedAtField\` ${JSON.stringify(stamp)}`,
    );
  }
  const everyMs = options.schedule?.everyMs;
  if (everyMs !== undefined && !(Number.isFinite(everyMs) && everyMs >= 1000)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`schedule.everyMs\` to be at least 1000, got ${everyMs}`,
    );
  }
  return {
    name: options.name,
    source: options.source,
    destination: options.destination,
    route: options.route ?? {},
    deletes,
    deleteGuard: { maxShare, minLinks: options.deleteGuard?.minLinks ?? 10 },
    circuitBreaker: resolveCircuitBreaker(options.circuitBreaker, where),
    schedule: options.schedule ?? {},
    writeRetries: options.writeRetries ?? 5,
    retryMinDelayMs: options.retryMinDelayMs ?? 250,
    verify: resolveVerify(options, where),
  };
}

function resolveVerify(
  options: PipelineOptions,
  where: string,
): Required<VerifyScheduleOptions> | null {
  if (options.verify === undefined) return null;
  if (typeof options.destination.list !== 'function') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`verify\` to have a destination that can list its objects; ${JSON.stringify(options.destination.name)} cannot`,
    );
  }
  return { everyMs: options.verify.everyMs, repair: options.verify.repair ?? true };
}
