import {
  describeError,
  isAuthError,
  KeepsyncError,
  type NeutralValue,
  type SyncRecord,
} from '../../model/index.js';
import { RetryableError } from '../../net/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import { createLumaClient, type LumaClient } from './client.js';
import { destinationSchema } from './options-schema.js';
import { type LumaConnection, resolveConnection } from './settings.js';

export interface LumaDestinationOptions extends LumaConnection {
  /** The record field written as the event's name. @default 'title' */
  nameField?: string;
  /** The record field (Date or ISO string) written as `start_at`. @default 'startAt' */
  startField?: string;
  /** The record field written as `end_at`, when present. @default 'endAt' */
  endField?: string;
  /** The IANA time zone events are shown in. @default 'UTC' */
  timezone?: string;
  /** The start of a created event whose record has none (Luma requires one). */
  defaultStartAt?: Date | string;
  /** @default 'luma' */
  name?: string;
}

/**
 * Creates and updates events in the key's calendar. Luma cannot hold keepsync's key on an
 * event, so the event id lives only in keepsync's links: the session asks the engine to commit
 * each create's link as soon as Luma answers (`linksEachCreate`). What is left is the
 * at-least-once window of a create whose answer never arrived (a crash, a cut connection):
 * the next run creates that one event again. Luma has no delete API: deletes are refused.
 */
export function destination(options: LumaDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'luma.destination');
  const connection = resolveConnection(options, 'luma.destination');
  const fields = {
    name: options.nameField ?? 'title',
    start: options.startField ?? 'startAt',
    end: options.endField ?? 'endAt',
  };
  const timezone = options.timezone ?? 'UTC';
  const defaultStart =
    options.defaultStartAt === undefined ? undefined : isoOf(options.defaultStartAt);
  if (options.defaultStartAt !== undefined && defaultStart === undefined) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected luma.destination \`defaultStartAt\` to be a date, got ${String(options.defaultStartAt)}`,
    );
  }
  return {
    name: options.name ?? 'luma',
    async open(context): Promise<DestinationSession> {
      const client = createLumaClient({
        ...connection,
        telemetry: context.telemetry,
        signal: context.signal,
      });
      // A refused key pauses the run here, before any create is sent.
      await client.get('/v1/user/get-self', {});
      return {
        // Nothing in Luma carries the key: the store's links are the only way back.
        lookup: async () => new Map(),
        linksEachCreate: true,
        async write(ops) {
          const results: WriteResult[] = [];
          for (const op of ops) {
            results.push(await writeOne(client, op, { fields, timezone, defaultStart }));
          }
          return results;
        },
        close: async () => {},
      };
    },
  };
}

interface EncodePlan {
  readonly fields: { readonly name: string; readonly start: string; readonly end: string };
  readonly timezone: string;
  readonly defaultStart: string | undefined;
}

async function writeOne(client: LumaClient, op: WriteOp, plan: EncodePlan): Promise<WriteResult> {
  if (!('record' in op)) {
    return {
      status: 'rejected',
      error: `Luma has no API to delete or archive event ${op.destId}; set the pipeline's \`deletes\` to 'ignore'`,
    };
  }
  const encoded = encodeEvent(op.record, op.kind, plan);
  if (typeof encoded === 'string') return { status: 'rejected', error: encoded };
  try {
    if (op.kind === 'create') {
      const answer = await client.post<{ api_id?: string; event?: { api_id?: string } }>(
        '/v1/event/create',
        encoded,
      );
      const id = answer.api_id ?? answer.event?.api_id;
      // Created but unnamed: reporting success would lose it, retrying would duplicate it.
      if (!id) {
        return {
          status: 'unavailable',
          error: `Luma POST /v1/event/create answered without an event id (record ${op.key})`,
        };
      }
      return { status: 'ok', destId: id };
    }
    // Luma's update takes the id as `event_id`, not `api_id`.
    await client.post('/v1/event/update', { event_id: op.destId, ...encoded });
    return { status: 'ok', destId: op.destId };
  } catch (error) {
    if (isAuthError(error)) return { status: 'auth', error: describeError(error) };
    if (error instanceof RetryableError) {
      return { status: 'retryable', error: error.message, retryAfterMs: error.retryAfterMs };
    }
    return { status: 'rejected', error: `${describeError(error)} (record ${op.key})` };
  }
}

/** The Luma body of a record, or why it cannot be one. Fields Luma has no place for are dropped. */
export function encodeEvent(
  record: SyncRecord,
  kind: 'create' | 'update',
  plan: EncodePlan,
): Record<string, string> | string {
  const body: Record<string, string> = {};
  const name = record.fields[plan.fields.name];
  if (name !== undefined && name !== null) body.name = String(name);
  const startValue = record.fields[plan.fields.start];
  if (startValue !== undefined && startValue !== null) {
    const start = isoOf(startValue);
    if (!start) {
      return `field \`${plan.fields.start}\` of record ${record.key} is not a date: ${String(startValue)}`;
    }
    body.start_at = start;
    body.timezone = plan.timezone;
  }
  const endValue = record.fields[plan.fields.end];
  if (endValue !== undefined && endValue !== null) {
    const end = isoOf(endValue);
    if (!end)
      return `field \`${plan.fields.end}\` of record ${record.key} is not a date: ${String(endValue)}`;
    body.end_at = end;
  }
  if (kind === 'create') {
    if (!body.name)
      return `record ${record.key} has no \`${plan.fields.name}\`; Luma events need a name`;
    if (!body.start_at) {
      if (!plan.defaultStart) {
        return `record ${record.key} has no \`${plan.fields.start}\`; Luma events need a start (or set \`defaultStartAt\`)`;
      }
      body.start_at = plan.defaultStart;
      body.timezone = plan.timezone;
    }
  }
  return body;
}

function isoOf(value: NeutralValue | Date | string): string | undefined {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}
