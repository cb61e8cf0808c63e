import type { CreatedIssue, SearchAndReconcileResults, User } from 'jira.js/version3/models';
import { type FakeRequest, type FakeResponse, FakeServer, type RateLimit } from './fake-server.js';
import { FakeService } from './fake-service.js';
import {
  apply,
  decodeToken,
  encodeToken,
  ISSUE_TYPES,
  jqlValue,
  PRIORITIES,
  sortKey,
  validate,
} from './jira-fields.js';
import { JqlError, offsetOf, parseJql } from './jql.js';

export interface FakeJiraIssue {
  id: string;
  key: string;
  project: string;
  issuetype: string;
  summary: string;
  description: unknown;
  labels: string[];
  priority: string | null;
  status: string;
  assignee: string | null;
  duedate: string | null;
  created: number;
  updated: number;
  custom: Record<string, unknown>;
  properties: Map<string, unknown>;
}

export interface FakeJiraOptions {
  /** Basic-auth accounts (email -> API token). @default { 'dev@example.com': 'jira_token' } */
  accounts?: Readonly<Record<string, string>>;
  /** OAuth 2.0 bearer tokens that authenticate. */
  bearerTokens?: readonly string[];
  /** The searching user's time zone; JQL dates are read in it. @default 'America/New_York' */
  timeZone?: string;
  /** How long a change takes to show in search (Jira's index is eventually consistent). @default 0 */
  indexLagMs?: number;
  rateLimit?: RateLimit;
}

const API = '/rest/api/3';

/** Jira's error body: `{ errorMessages: [...], errors: { field: message } }`. */
function jiraError(status: number, _code: string, message: string): unknown {
  const text =
    status === 401
      ? 'Client must be authenticated to access this resource.'
      : status === 429
        ? 'Rate limit exceeded.'
        : message;
  return { errorMessages: [text], errors: {} };
}

function fail(
  status: number,
  messages: string[],
  errors: Record<string, string> = {},
): FakeResponse {
  return { status, body: { errorMessages: messages, errors } };
}

const NO_ISSUE = 'Issue does not exist or you do not have permission to see it.';

/**
 * A fake of Jira Cloud's REST API v3 for what the jira connector uses: enhanced JQL search
 * (`POST /search/jql`) with nextPageToken pagination, page caps and an eventually consistent
 * index; issue create/edit/delete with field validation and ADF descriptions; entity
 * properties; `/myself` with the user's time zone; Basic and bearer auth; 429 Retry-After.
 * Response bodies are typed with jira.js's models, generated from Jira's OpenAPI document.
 */
export class FakeJira extends FakeService {
  readonly server: FakeServer;
  readonly issues = new Map<string, FakeJiraIssue>();
  readonly projects = new Map<string, { id: string; next: number }>();
  readonly timeZone: string;
  readonly #accounts: Map<string, string>;
  readonly #bearer: Set<string>;
  readonly #indexLagMs: number;
  /** What search sees: snapshots that become visible after the index lag. */
  readonly #searchView = new Map<string, FakeJiraIssue>();
  readonly #pending: Array<{ id: string; snapshot: FakeJiraIssue | null; visibleAt: number }> = [];
  #nextId = 10_000;
  #clock: () => number = Date.now;

  constructor(options: FakeJiraOptions = {}) {
    super();
    this.#accounts = new Map(
      Object.entries(options.accounts ?? { 'dev@example.com': 'jira_token' }),
    );
    this.#bearer = new Set(options.bearerTokens ?? []);
    this.timeZone = options.timeZone ?? 'America/New_York';
    this.#indexLagMs = options.indexLagMs ?? 0;
    this.server = new FakeServer({
      name: 'Jira',
      errorBody: jiraError,
      rateLimit: options.rateLimit,
      isValidToken: (_token, request) => this.#authenticates(request),
    });
    this.server
      .route('GET', `${API}/myself`, () => ({ status: 200, body: this.#myself() }))
      .route('POST', `${API}/search/jql`, (request) => this.#search(request))
      .route('POST', `${API}/issue`, (request) => this.#create(request))
      .route('GET', `${API}/issue/:id`, ({ params }) => {
        const issue = this.#find(params.id!);
        return issue
          ? { status: 200, body: this.#json(issue, null, [...issue.properties.keys()]) }
          : fail(404, [NO_ISSUE]);
      })
      .route('PUT', `${API}/issue/:id`, (request) => this.#edit(request))
      .route('DELETE', `${API}/issue/:id`, ({ params }) => {
        const issue = this.#find(params.id!);
        if (!issue) return fail(404, [NO_ISSUE]);
        this.issues.delete(issue.id);
        this.#changed(issue.id, null);
        return { status: 204 };
      })
      .route('PUT', `${API}/issue/:id/properties/:key`, ({ params, body }) => {
        const issue = this.#find(params.id!);
        if (!issue) return fail(404, [NO_ISSUE]);
        const existed = issue.properties.has(params.key!);
        issue.properties.set(params.key!, body);
        this.#changed(issue.id, issue);
        return { status: existed ? 200 : 201 };
      });
  }

  setClock(clock: () => number): void {
    this.#clock = clock;
  }

  revokeAccount(email: string): void {
    this.#accounts.delete(email);
  }

  createProject(key: string): void {
    this.projects.set(key, { id: String(10_000 + this.projects.size), next: 1 });
  }

  /** Adds an issue as a person would (its update time is the fake's clock). */
  addIssue(project: string, patch: Partial<FakeJiraIssue> = {}): FakeJiraIssue {
    const meta = this.projects.get(project);
    if (!meta) throw new Error(`no project ${project}`);
    const now = this.#clock();
    const issue: FakeJiraIssue = {
      id: String(this.#nextId++),
      key: `${project}-${meta.next++}`,
      project,
      issuetype: 'Task',
      summary: 'Untitled',
      description: null,
      labels: [],
      priority: 'Medium',
      status: 'To Do',
      assignee: null,
      duedate: null,
      created: now,
      updated: now,
      custom: {},
      properties: new Map(),
      ...patch,
    };
    this.issues.set(issue.id, issue);
    this.#changed(issue.id, issue);
    return issue;
  }

  /** Edits an issue as a person would; its `updated` moves to the fake's clock. */
  editIssue(id: string, patch: Partial<FakeJiraIssue>): void {
    const issue = this.issues.get(id)!;
    Object.assign(issue, patch, { updated: this.#clock() });
    this.#changed(id, issue);
  }

  deleteIssue(id: string): void {
    this.issues.delete(id);
    this.#changed(id, null);
  }

  /** Jira's time format, in the user's zone: `2026-01-01T05:05:00.000-0500`. */
  formatTime(ms: number): string {
    const offset = offsetOf(ms, this.timeZone);
    const local = new Date(ms + offset).toISOString().slice(0, 23);
    const sign = offset < 0 ? '-' : '+';
    const minutes = Math.abs(offset) / 60_000;
    const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
    const mm = String(minutes % 60).padStart(2, '0');
    return `${local}${sign}${hh}${mm}`;
  }

  #authenticates(request: FakeRequest): boolean {
    const header = request.headers.authorization ?? '';
    const basic = /^Basic\s+(.+)$/i.exec(header);
    if (basic) {
      const [email, token] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(/:(.*)/s);
      return email !== undefined && this.#accounts.get(email) === token;
    }
    return request.token !== undefined && this.#bearer.has(request.token);
  }

  #myself(): User {
    return {
      self: `${this.url}${API}/user?accountId=5b10a2844c20165700ede21g`,
      accountId: '5b10a2844c20165700ede21g',
      accountType: 'atlassian',
      emailAddress: [...this.#accounts.keys()][0],
      displayName: 'Dev User',
      active: true,
      timeZone: this.timeZone,
      locale: 'en_US',
    };
  }

  #find(idOrKey: string): FakeJiraIssue | undefined {
    return (
      this.issues.get(idOrKey) ?? [...this.issues.values()].find((issue) => issue.key === idOrKey)
    );
  }

  #changed(id: string, issue: FakeJiraIssue | null): void {
    const snapshot = issue
      ? { ...issue, labels: [...issue.labels], properties: new Map(issue.properties) }
      : null;
    this.#pending.push({ id, snapshot, visibleAt: this.#clock() + this.#indexLagMs });
  }

  #indexed(): FakeJiraIssue[] {
    const now = this.#clock();
    while (this.#pending.length > 0 && this.#pending[0]!.visibleAt <= now) {
      const { id, snapshot } = this.#pending.shift()!;
      if (snapshot) this.#searchView.set(id, snapshot);
      else this.#searchView.delete(id);
    }
    return [...this.#searchView.values()];
  }

  #search({ body }: FakeRequest): FakeResponse {
    const input = (body ?? {}) as {
      jql?: string;
      nextPageToken?: string;
      maxResults?: number;
      fields?: string[];
      properties?: string[];
    };
    const jql = input.jql ?? '';
    let query: ReturnType<typeof parseJql>;
    try {
      query = parseJql(jql, this.timeZone, this.#clock());
    } catch (error) {
      if (error instanceof JqlError) return fail(400, [error.message]);
      throw error;
    }
    if (!query.where) {
      return fail(400, [
        'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
      ]);
    }
    if ((input.properties?.length ?? 0) > 5) {
      return fail(400, ['The maximum number of properties that can be requested is 5.']);
    }
    const fields = input.fields ?? ['id'];
    const idsOnly = fields.every((field) => field === 'id' || field === 'key');
    const size = Math.min(input.maxResults ?? 50, idsOnly ? 5000 : 100);
    let offset = 0;
    if (input.nextPageToken) {
      const decoded = decodeToken(input.nextPageToken);
      if (!decoded || decoded.jql !== jql)
        return fail(400, ['The provided next page token is invalid or expired.']);
      offset = decoded.offset;
    }
    const matched = this.#indexed()
      .filter((issue) => query.where!({ valueOf: (field) => jqlValue(issue, field) }))
      .sort((a, b) => {
        for (const { field, direction } of query.orderBy) {
          const x = sortKey(a, field);
          const y = sortKey(b, field);
          const order = x < y ? -1 : x > y ? 1 : 0;
          if (order !== 0) return direction === 'ASC' ? order : -order;
        }
        return Number(a.id) - Number(b.id);
      });
    const slice = matched.slice(offset, offset + size);
    const more = offset + size < matched.length;
    const result: SearchAndReconcileResults & { isLast: boolean } = {
      issues: slice.map((issue) =>
        this.#json(issue, fields, input.properties ?? []),
      ) as SearchAndReconcileResults['issues'],
      ...(more ? { nextPageToken: encodeToken(jql, offset + size) } : {}),
      isLast: !more,
    };
    return { status: 200, body: result };
  }

  #json(issue: FakeJiraIssue, fields: readonly string[] | null, properties: readonly string[]) {
    const all: Record<string, unknown> = {
      summary: issue.summary,
      description: issue.description,
      labels: issue.labels,
      priority: issue.priority
        ? { name: issue.priority, id: String(PRIORITIES.indexOf(issue.priority) + 1) }
        : null,
      status: {
        name: issue.status,
        id: '10000',
        statusCategory: { key: issue.status === 'Done' ? 'done' : 'new' },
      },
      issuetype: {
        name: issue.issuetype,
        id: String(10_001 + ISSUE_TYPES.indexOf(issue.issuetype)),
        subtask: false,
      },
      project: {
        id: this.projects.get(issue.project)?.id,
        key: issue.project,
        name: issue.project,
      },
      assignee: issue.assignee
        ? { accountId: issue.assignee, displayName: `User ${issue.assignee}`, active: true }
        : null,
      reporter: { accountId: '5b10a2844c20165700ede21g', displayName: 'Dev User', active: true },
      created: this.formatTime(issue.created),
      updated: this.formatTime(issue.updated),
      duedate: issue.duedate,
      ...issue.custom,
    };
    const wanted =
      fields === null || fields.includes('*all') || fields.includes('*navigable')
        ? Object.keys(all)
        : fields.filter((field) => field !== 'id' && field !== 'key');
    const picked = Object.fromEntries(
      wanted.filter((field) => field in all).map((field) => [field, all[field]]),
    );
    const props = Object.fromEntries(
      properties
        .filter((key) => issue.properties.has(key))
        .map((key) => [key, issue.properties.get(key)]),
    );
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: `${this.url}${API}/issue/${issue.id}`,
      key: issue.key,
      fields: picked,
      ...(properties.length > 0 ? { properties: props } : {}),
    };
  }

  #create({ body }: FakeRequest): FakeResponse {
    const input = (body ?? {}) as {
      fields?: Record<string, unknown>;
      properties?: Array<{ key: string; value: unknown }>;
    };
    const fields = input.fields ?? {};
    const project = (fields.project as { key?: string } | undefined)?.key;
    const errors: Record<string, string> = {};
    if (!project || !this.projects.has(project))
      errors.project = 'Specify a valid project ID or key';
    const type = (fields.issuetype as { name?: string } | undefined)?.name;
    if (!type || !ISSUE_TYPES.includes(type)) errors.issuetype = 'Specify a valid issue type';
    if (typeof fields.summary !== 'string' || fields.summary.trim() === '') {
      errors.summary = 'You must specify a summary of the issue.';
    }
    Object.assign(errors, validate(fields));
    if (Object.keys(errors).length > 0) return fail(400, [], errors);
    const issue = this.addIssue(project!, {});
    apply(issue, fields);
    for (const property of input.properties ?? [])
      issue.properties.set(property.key, property.value);
    this.#changed(issue.id, issue);
    const created: CreatedIssue = {
      id: issue.id,
      key: issue.key,
      self: `${this.url}${API}/issue/${issue.id}`,
    };
    return { status: 201, body: created };
  }

  #edit({ params, body }: FakeRequest): FakeResponse {
    const issue = this.#find(params.id!);
    if (!issue) return fail(404, [NO_ISSUE]);
    const fields = ((body ?? {}) as { fields?: Record<string, unknown> }).fields ?? {};
    const errors = validate(fields);
    if (
      'summary' in fields &&
      (typeof fields.summary !== 'string' || fields.summary.trim() === '')
    ) {
      errors.summary = 'You must specify a summary of the issue.';
    }
    if ('project' in fields || 'issuetype' in fields) {
      errors.project =
        "Field 'project' cannot be set. It is not on the appropriate screen, or unknown.";
    }
    if (Object.keys(errors).length > 0) return fail(400, [], errors);
    apply(issue, fields);
    issue.updated = this.#clock();
    this.#changed(issue.id, issue);
    return { status: 204 };
  }
}
