import {
  AuthError,
  describeError,
  isKeepsyncError,
  KeepsyncError,
  type NeutralValue,
  type SyncRecord,
} from '../../model/index.js';
import { type RateLimiter, RetryableError, rateLimiterFor, withRetry } from '../../net/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type SessionContext,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import {
  ForbiddenError,
  httpFailureOf,
  indexedSession,
  isTransientStatus,
  queueSignal,
  waitClock,
  writeSettler,
} from '../support/index.js';
import { type AsanaClient, type AsanaCustomField, createAsanaClient } from './client.js';
import { type AsanaTaskField, encodeCustomField, encodeTaskField, MAX_NOTES } from './encode.js';
import { destinationSchema } from './options-schema.js';

/** A personal access token, or an access token an OAuth app got for a user. */
export type AsanaTokenType = 'personal_access_token' | 'oauth';

/** Where a field goes: a task field, or a custom field of the project (by name or gid). */
export type AsanaTarget = AsanaTaskField | { readonly customField: string };

export interface AsanaDestinationOptions {
  /** The project tasks are created in. */
  projectGid: string;
  /**
   * A personal access token, or an OAuth app's access token with `type: 'oauth'`. The kind
   * decides where the key can live (see `key`).
   */
  auth: { readonly token: string; readonly type?: AsanaTokenType };
  /** Record field -> where it is written. Fields not named here are not written. */
  fields: Readonly<Record<string, AsanaTarget>>;
  /**
   * Where the record key is kept so a task is found again.
   * - `'external'`: the task's `external.gid`. OAuth apps only: Asana's description marks the
   *   field "OAuth Required" (an app's own data, invisible to other apps); with a personal
   *   access token it is a configuration error.
   * - `{ customField }`: a text custom field of the project (at most 1,024 characters), which
   *   works with any token, personal access tokens included.
   * @default 'external' with `auth.type: 'oauth'`; required with a personal access token
   */
  key?: 'external' | { readonly customField: string };
  /** Write a record's body as the task notes. @default true */
  body?: boolean;
  /** Requests per second per token; Asana's free plan allows 150 per minute. @default 2.5 */
  requestsPerSecond?: number;
  /** @default 5 */
  retries?: number;
  /** @default 'https://app.asana.com/api/1.0' */
  basePath?: string;
  /** How long one request may take before it counts as failed (and is retried). @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of the `asana` SDK (tests). */
  client?: AsanaClient;
  /** @default 'asana' */
  name?: string;
}

/**
 * Asana keeps `external` per OAuth app and neither stores nor returns it for a personal access
 * token, so a key kept there would never be found again (every run would create the tasks anew).
 */
function checkKeyFitsToken(options: AsanaDestinationOptions): void {
  const type = options.auth.type ?? 'personal_access_token';
  if (type !== 'personal_access_token' && type !== 'oauth') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `asana.destination \`auth.type\` must be 'personal_access_token' or 'oauth', not ${JSON.stringify(type)}`,
    );
  }
  if (type === 'oauth' || typeof options.key === 'object') return;
  const fix =
    "set `key: { customField: '<a text custom field of the project>' }`, or `auth.type: 'oauth'` for an OAuth app's access token";
  throw new KeepsyncError(
    'CONFIG_INVALID',
    options.key === 'external'
      ? `asana.destination \`key: 'external'\` needs an OAuth app's access token: Asana neither stores nor returns \`external\` for a personal access token; ${fix}`
      : `asana.destination needs \`key\` with a personal access token: the default, \`external\`, is kept by Asana only for OAuth apps; ${fix}`,
  );
}

interface Resolved {
  readonly client: AsanaClient;
  /** Wall time held by the limiter, reported once however many requests wait together. */
  readonly waits: ReturnType<typeof waitClock>;
  readonly signal: AbortSignal | undefined;
  readonly limiter: RateLimiter;
  readonly context: SessionContext;
  readonly customFields: ReadonlyMap<string, AsanaCustomField>;
  readonly keyField: AsanaCustomField | null;
}

/**
 * Mirrors records into tasks of an Asana project through the official SDK. The key is kept
 * with the task (external gid or a text custom field), custom fields are encoded by type,
 * and every request of a token shares one limiter that pauses on 429 Retry-After.
 */
export function destination(options: AsanaDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'asana.destination');
  if (!options.projectGid)
    throw new KeepsyncError('CONFIG_INVALID', 'asana.destination needs `projectGid`');
  if (!options.auth?.token)
    throw new KeepsyncError('CONFIG_INVALID', 'asana.destination needs `auth.token`');
  checkKeyFitsToken(options);
  return {
    name: options.name ?? 'asana',
    async open(context) {
      const client =
        options.client ??
        (await createAsanaClient({
          token: options.auth.token,
          basePath: options.basePath,
          timeoutMs: options.timeoutMs,
        }));
      const credential = `asana:${fingerprint(options.auth.token)}`;
      const requestsPerSecond = options.requestsPerSecond ?? 2.5;
      const limiter = rateLimiterFor(credential, { requestsPerSecond, concurrency: 3 });
      const partial = {
        client,
        limiter,
        context,
        signal: queueSignal(context.signal),
        waits: waitClock((ms) => context.telemetry.waitedForRateLimit(ms)),
      };
      const wanted = [
        ...Object.values(options.fields).flatMap((target) =>
          typeof target === 'object' ? [target.customField] : [],
        ),
        ...(typeof options.key === 'object' ? [options.key.customField] : []),
      ];
      const available =
        wanted.length > 0
          ? await request(
              options,
              partial,
              `GET /projects/${options.projectGid}/custom_field_settings`,
              () => client.projectCustomFields(options.projectGid),
            )
          : [];
      const customFields = new Map<string, AsanaCustomField>();
      const problems: string[] = [];
      for (const name of wanted) {
        const field = available.find(
          (candidate) => candidate.gid === name || candidate.name === name,
        );
        if (field) customFields.set(name, field);
        else problems.push(`custom field \`${name}\` is not on project ${options.projectGid}`);
      }
      const keyField =
        typeof options.key === 'object'
          ? (customFields.get(options.key.customField) ?? null)
          : null;
      if (keyField && keyField.resource_subtype !== 'text') {
        problems.push(
          `the key custom field \`${keyField.name}\` is ${keyField.resource_subtype}; it must be text`,
        );
      }
      if (problems.length > 0) {
        throw new KeepsyncError(
          'CONFIG_INVALID',
          `Asana project ${options.projectGid} does not fit this pipeline; nothing was written:\n${problems.map((line) => `  - ${line}`).join('\n')}`,
        );
      }
      return createSession(options, { ...partial, customFields, keyField });
    },
  };
}

function createSession(options: AsanaDestinationOptions, resolved: Resolved): DestinationSession {
  const { client, keyField } = resolved;
  let known: Map<string, string> | null = null;
  const settle = writeSettler({ requestError: AsanaRequestError, keyInRecordErrors: true });

  /** Lists the project's tasks once per session: one request per 100 tasks. */
  async function index(): Promise<Map<string, string>> {
    if (known) return known;
    const found = new Map<string, string>();
    let offset: string | undefined;
    do {
      const page = await request(
        options,
        resolved,
        `GET /projects/${options.projectGid}/tasks`,
        () =>
          client.listProjectTasks(options.projectGid, {
            limit: 100,
            offset,
            optFields: keyField ? ['custom_fields.gid', 'custom_fields.text_value'] : ['external'],
          }),
      );
      for (const task of page.data) {
        const key = keyField
          ? task.custom_fields?.find((field) => field.gid === keyField.gid)?.text_value
          : task.external?.gid;
        if (key && !found.has(key)) found.set(key, task.gid);
      }
      offset = page.next_page?.offset;
    } while (offset);
    known = found;
    return found;
  }

  function encode(record: SyncRecord, creating: boolean): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    const custom: Record<string, unknown> = {};
    for (const [field, target] of Object.entries(options.fields)) {
      const value = record.fields[field];
      if (value === undefined) continue;
      const where = { key: record.key, field };
      if (typeof target === 'string')
        data[target] = encodeTaskField(target, value as NeutralValue, where);
      else {
        const customField = resolved.customFields.get(target.customField)!;
        custom[customField.gid] = encodeCustomField(customField, value as NeutralValue, where);
      }
    }
    if (options.body !== false && record.body !== undefined)
      data.notes = record.body.slice(0, MAX_NOTES);
    if (creating) {
      data.projects = [options.projectGid];
      if (keyField) custom[keyField.gid] = record.key;
      else data.external = { gid: record.key };
      if (typeof data.name !== 'string' || data.name === '') data.name = record.key;
    }
    if (Object.keys(custom).length > 0) data.custom_fields = custom;
    return data;
  }

  async function writeOne(op: WriteOp): Promise<WriteResult> {
    switch (op.kind) {
      case 'create': {
        const data = encode(op.record, true);
        const task = await request(
          options,
          resolved,
          'POST /tasks',
          () => client.createTask(data),
          async () => {
            if (keyField) {
              known = null;
              const gid = (await index()).get(op.key);
              return gid === undefined ? undefined : { gid };
            }
            return (await client.findTask(`external:${op.key}`)) ?? undefined;
          },
        );
        known?.set(op.key, task.gid);
        return { status: 'ok', destId: task.gid };
      }
      case 'update': {
        const data = encode(op.record, false);
        await request(options, resolved, `PUT /tasks/${op.destId}`, () =>
          client.updateTask(op.destId, data),
        );
        return { status: 'ok', destId: op.destId };
      }
      case 'archive':
        // Asana tasks have no archive: a finished mirror task is marked complete.
        await request(options, resolved, `PUT /tasks/${op.destId}`, () =>
          client.updateTask(op.destId, { completed: true }),
        );
        return { status: 'ok', destId: op.destId };
      case 'delete':
        await request(options, resolved, `DELETE /tasks/${op.destId}`, () =>
          client.deleteTask(op.destId),
        );
        return { status: 'ok', destId: op.destId };
    }
  }

  return indexedSession(index, writeOne, settle);
}

class AsanaRequestError extends Error {}

/** One Asana call through the token's limiter, retried on 429 (limiter paused) and 5xx. */
async function request<T>(
  options: AsanaDestinationOptions,
  resolved: Pick<Resolved, 'limiter' | 'context' | 'signal' | 'waits'>,
  what: string,
  call: () => Promise<T>,
  /** For a create: finds a task an earlier attempt may have made before trying again. */
  recover?: () => Promise<T | undefined>,
): Promise<T> {
  const { limiter, context, signal } = resolved;
  let ambiguous = false;
  return withRetry(
    async () => {
      if (ambiguous && recover) {
        const recovered = await recover();
        if (recovered !== undefined) return recovered;
      }
      const waited = resolved.waits.begin();
      try {
        return await limiter.schedule(
          async () => {
            waited();
            return call();
          },
          { signal },
        );
      } catch (error) {
        if (isKeepsyncError(error)) throw error;
        const { status, retryAfterMs } = httpFailureOf(error);
        const message = describeAsanaFailure(what, status, error);
        if (status === 401) {
          throw new AuthError(`Asana refused the token: ${message}`, { cause: error });
        }
        if (status === 403) {
          throw new ForbiddenError(`Asana refused access: ${message}`, { cause: error });
        }
        if (isTransientStatus(status)) {
          // A 429 was refused before it ran; no answer or a 5xx may have been applied.
          ambiguous = status !== 429;
          throw new RetryableError(message, { retryAfterMs, cause: error });
        }
        throw new AsanaRequestError(message, { cause: error });
      } finally {
        waited();
      }
    },
    {
      retries: options.retries ?? 5,
      minDelayMs: 500,
      limiter,
      signal,
      isRetryable: (error) => error instanceof RetryableError,
      onRetry: () => context.telemetry.retried(),
    },
  );
}

/** "Asana POST /tasks failed with 400: custom_fields: Invalid value …" (Asana's own message). */
function describeAsanaFailure(what: string, status: number, error: unknown): string {
  const body = (error as { response?: { body?: { errors?: Array<{ message?: string }> } } })
    ?.response?.body;
  const detail = body?.errors?.map((entry) => entry.message).join('; ') || describeError(error);
  return status
    ? `Asana ${what} failed with ${status}: ${detail}`
    : `Asana ${what} failed: ${detail}`;
}

function fingerprint(token: string): string {
  let hash = 2166136261;
  for (let index = 0; index < token.length; index++)
    hash = Math.imul(hash ^ token.charCodeAt(index), 16777619);
  return (hash >>> 0).toString(16);
}
