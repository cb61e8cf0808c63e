import { KeepsyncError, type NeutralValue, type SyncRecord } from '../../model/index.js';
import { sleep } from '../../net/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type SessionContext,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import { indexedSession, queueSignal, writeSettler } from '../support/index.js';
import type { JiraAuth, JiraClient } from './client.js';
import { checkConnection, connectJira } from './connection.js';
import { encodeCustomField, encodeIssueField, type JiraTarget } from './encode.js';
import { destinationSchema } from './options-schema.js';
import { JiraRequestError, type JiraRequester } from './requests.js';

export interface JiraDestinationOptions {
  /** The project issues are created in, e.g. `ENG`. */
  projectKey: string;
  /** @default 'Task' */
  issueType?: string;
  auth: JiraAuth;
  /** The site, `https://<site>.atlassian.net` (with OAuth, optional). */
  baseUrl?: string;
  /** Record field -> where it is written. Fields not named here are not written. */
  fields: Readonly<Record<string, JiraTarget>>;
  /** Write a record's body as the issue description (ADF). @default true */
  body?: boolean;
  /**
   * The issue entity property holding the record key (`{ key }`), set in the same request
   * that creates the issue, so an issue is found again by key and a create is never half done.
   * @default 'keepsync'
   */
  propertyKey?: string;
  /**
   * After a create whose answer was lost, how long to look for the issue in search (which
   * shows new issues with a lag) before creating it again.
   * @default 30_000
   */
  recoverWindowMs?: number;
  /** Requests per second per credential. @default 10 */
  requestsPerSecond?: number;
  /**
   * Requests that may start back to back (see RateLimiter), so a start a loaded machine made
   * late is made up by the next ones. @default requestsPerSecond, at most 10
   */
  burst?: number;
  /** Requests in flight at once per credential, so round trips do not cap the rate. @default 6 */
  concurrency?: number;
  /** @default 5 */
  retries?: number;
  /** @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of jira.js (tests). */
  client?: JiraClient;
  /** @default 'jira' */
  name?: string;
}

const PROJECT_KEY = /^[A-Z][A-Z0-9_]{0,254}$/;
const PROPERTY_KEY = /^[A-Za-z0-9_.-]{1,255}$/;

/**
 * Mirrors records into issues of a Jira project through jira.js. The key lives in an issue
 * entity property written atomically with the create; a lost create answer is looked up in
 * search before any second create. Jira has no archive: `archive` is refused, `delete` deletes.
 */
export function destination(options: JiraDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'jira.destination');
  if (!PROJECT_KEY.test(options.projectKey ?? '')) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected jira.destination \`projectKey\` to be a project key such as \`ENG\`, got \`${options.projectKey}\``,
    );
  }
  const propertyKey = options.propertyKey ?? 'keepsync';
  if (!PROPERTY_KEY.test(propertyKey)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`propertyKey\` to be letters, digits, _ . -, got \`${propertyKey}\``,
    );
  }
  checkConnection(options, 'jira.destination');
  return {
    name: options.name ?? 'jira',
    async open(context) {
      const { client, request } = await connectJira(
        { ...options, concurrency: options.concurrency ?? 6 },
        { telemetry: context.telemetry, signal: queueSignal(context.signal) },
      );
      return createSession(options, propertyKey, client, request, context);
    },
  };
}

function createSession(
  options: JiraDestinationOptions,
  propertyKey: string,
  client: JiraClient,
  request: JiraRequester,
  context: SessionContext,
): DestinationSession {
  let known: Map<string, string> | null = null;
  const settle = writeSettler({ requestError: JiraRequestError });
  const project = `project = "${options.projectKey}"`;

  /** Key -> issue id of the issues search shows, for a JQL restriction. */
  async function scan(jql: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await request('POST /rest/api/3/search/jql', () =>
        client.search({
          jql,
          fields: ['id'],
          properties: [propertyKey],
          maxResults: 1000,
          nextPageToken: token,
        }),
      );
      for (const issue of page.issues) {
        const key = (issue.properties?.[propertyKey] as { key?: unknown } | undefined)?.key;
        if (typeof key === 'string' && !found.has(key)) found.set(key, String(issue.id));
      }
      token = page.nextPageToken;
    } while (token);
    return found;
  }

  async function index(): Promise<Map<string, string>> {
    known ??= await scan(`${project} ORDER BY key ASC`);
    return known;
  }

  /** Looks for an issue a lost create answer may have made, while search catches up. */
  async function findCreated(key: string): Promise<{ id: string } | undefined> {
    const deadline = Date.now() + (options.recoverWindowMs ?? 30_000);
    for (;;) {
      // A relative date needs no time zone; 15 minutes covers any retry of this create.
      const id = (await scan(`${project} AND created >= -15m ORDER BY key ASC`)).get(key);
      if (id !== undefined) return { id };
      if (Date.now() >= deadline) return undefined;
      await sleep(Math.min(1_000, Math.max(0, deadline - Date.now())), context.signal);
    }
  }

  function encode(record: SyncRecord): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    for (const [field, target] of Object.entries(options.fields)) {
      const value = record.fields[field];
      if (value === undefined) continue;
      const where = { key: record.key, field };
      if (typeof target === 'string')
        fields[target] = encodeIssueField(target, value as NeutralValue, where);
      else fields[target.customField] = encodeCustomField(target, value as NeutralValue, where);
    }
    if (options.body !== false && record.body !== undefined) {
      fields.description = encodeIssueField('description', record.body, {
        key: record.key,
        field: 'body',
      });
    }
    return fields;
  }

  async function writeOne(op: WriteOp): Promise<WriteResult> {
    switch (op.kind) {
      case 'create': {
        const fields = encode(op.record);
        if (typeof fields.summary !== 'string' || fields.summary === '') fields.summary = op.key;
        const body = {
          fields: {
            ...fields,
            project: { key: options.projectKey },
            issuetype: { name: options.issueType ?? 'Task' },
          },
          properties: [{ key: propertyKey, value: { key: op.key } }],
        };
        const created = await request(
          'POST /rest/api/3/issue',
          () => client.createIssue(body),
          () => findCreated(op.key),
        );
        known?.set(op.key, created.id);
        return { status: 'ok', destId: created.id };
      }
      case 'update': {
        const fields = encode(op.record);
        if (Object.keys(fields).length > 0) {
          await request(`PUT /rest/api/3/issue/${op.destId}`, () =>
            client.editIssue(op.destId, fields),
          );
        }
        return { status: 'ok', destId: op.destId };
      }
      case 'archive':
        return {
          status: 'rejected',
          error: `Jira issues cannot be archived through the REST API on every plan; use \`deletes: 'delete'\` (record ${op.key})`,
        };
      case 'delete':
        try {
          await request(`DELETE /rest/api/3/issue/${op.destId}`, () =>
            client.deleteIssue(op.destId),
          );
        } catch (error) {
          // Already gone (deleted by a person, or an earlier attempt whose answer was lost).
          if (!(error instanceof JiraRequestError && error.status === 404)) throw error;
        }
        known?.delete(op.key);
        return { status: 'ok', destId: op.destId };
    }
  }

  return indexedSession(index, writeOne, settle);
}
