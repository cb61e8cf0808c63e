import {
  asanaError,
  checkFieldValue,
  fail,
  forbidden,
  optFieldsOf,
  pick,
} from './asana-protocol.js';
import { type FakeRequest, type FakeResponse, FakeServer, type RateLimit } from './fake-server.js';

export interface FakeCustomField {
  gid: string;
  name: string;
  resource_subtype: 'text' | 'number' | 'enum' | 'multi_enum' | 'date';
  enum_options?: Array<{ gid: string; name: string; enabled: boolean }>;
}

export interface FakeTask {
  gid: string;
  name: string;
  notes: string;
  completed: boolean;
  due_on: string | null;
  projects: string[];
  external: { gid?: string; data?: string } | null;
  /** custom field gid -> stored value (text, number, enum option gid, gids, {date}). */
  values: Map<string, unknown>;
  created_at: string;
  modified_at: string;
}

export interface FakeAsanaOptions {
  /** Personal access tokens that authenticate. @default ['pat_test'] */
  tokens?: readonly string[];
  /**
   * Access tokens of an OAuth app (they authenticate too). Only these read and write a task's
   * `external` data, as Asana documents it ("OAuth Required"): with a personal access token
   * `external` is neither stored nor returned, and `external:<gid>` finds nothing.
   */
  oauthTokens?: readonly string[];
  /** Asana's free plan allows 150 requests/minute per token. */
  rateLimit?: RateLimit;
  /** Most items one list page holds, whatever `limit` asks (Asana: 100); tests scale it down. */
  maxPageSize?: number;
}

const BASE = '/api/1.0';

/**
 * A fake of the Asana REST API (1.0) for what the asana connector uses: project tasks with
 * limit/offset pagination and opt_fields, task create/update/delete with custom fields and
 * `external` data, `external:<gid>` addressing, and a project's custom field settings.
 */
export class FakeAsana {
  readonly server: FakeServer;
  readonly tasks = new Map<string, FakeTask>();
  readonly fields = new Map<string, FakeCustomField>();
  readonly #projects = new Map<string, string[]>();
  readonly #tokens: Set<string>;
  /** Tasks this token may not see or change (in a project it has no access to). */
  readonly #forbidden = new Set<string>();
  readonly #oauthTokens: Set<string>;
  #nextGid = 1_200_000_000_000_000;
  readonly #maxPageSize: number;

  constructor(options: FakeAsanaOptions = {}) {
    this.#oauthTokens = new Set(options.oauthTokens ?? []);
    this.#tokens = new Set([...(options.tokens ?? ['pat_test']), ...this.#oauthTokens]);
    this.#maxPageSize = options.maxPageSize ?? 100;
    this.server = new FakeServer({
      name: 'Asana',
      errorBody: asanaError,
      rateLimit: options.rateLimit,
      isValidToken: (token) => token !== undefined && this.#tokens.has(token),
    });
    this.server
      .route('GET', `${BASE}/projects/:gid/tasks`, (request) => this.#listTasks(request))
      .route('GET', `${BASE}/projects/:gid/custom_field_settings`, ({ params, query }) => {
        const fields = this.#projects.get(params.gid!);
        if (!fields) return fail(404, `project: Unknown object: ${params.gid}`);
        const optFields = optFieldsOf(query);
        const settings = fields.map((gid) => {
          const setting = this.#settingJson(params.gid!, gid);
          return optFields.length > 0 ? pick(setting, optFields) : setting;
        });
        return this.#page(settings, query, `/projects/${params.gid}/custom_field_settings`);
      })
      .route('POST', `${BASE}/tasks`, (request) => this.#createTask(request))
      .route('GET', `${BASE}/tasks/:gid`, ({ params, query, token }) => {
        const task = this.#find(params.gid!, token);
        return task
          ? { status: 200, body: { data: this.#json(task, optFieldsOf(query), 'full', token) } }
          : this.#unknown(params.gid!);
      })
      .route('PUT', `${BASE}/tasks/:gid`, (request) =>
        this.#forbidden.has(request.params.gid!) ? forbidden() : this.#updateTask(request),
      )
      .route('DELETE', `${BASE}/tasks/:gid`, ({ params, token }) => {
        if (this.#forbidden.has(params.gid!)) return forbidden();
        const task = this.#find(params.gid!, token);
        if (!task) return this.#unknown(params.gid!);
        this.tasks.delete(task.gid);
        return { status: 200, body: { data: {} } };
      });
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  /** The SDK's base path: `<url>/api/1.0`. */
  get basePath(): string {
    return `${this.server.url}${BASE}`;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** From now on this task answers 403 Forbidden, as one in a project the token cannot reach. */
  forbid(taskGid: string): void {
    this.#forbidden.add(taskGid);
  }

  revokeToken(token: string): void {
    this.#tokens.delete(token);
  }

  /** Creates a project with these custom fields; returns the project gid. */
  createProject(fields: Array<Omit<FakeCustomField, 'gid'>>): string {
    const project = this.#gid();
    const gids: string[] = [];
    for (const field of fields) {
      const gid = this.#gid();
      this.fields.set(gid, {
        ...field,
        gid,
        ...(field.enum_options
          ? { enum_options: field.enum_options.map((option) => ({ ...option, gid: this.#gid() })) }
          : {}),
      });
      gids.push(gid);
    }
    this.#projects.set(project, gids);
    return project;
  }

  tasksOf(project: string): FakeTask[] {
    return [...this.tasks.values()].filter((task) => task.projects.includes(project));
  }

  /** A task's custom field value by field name, for assertions. */
  valueOf(task: FakeTask, fieldName: string): unknown {
    const field = [...this.fields.values()].find((candidate) => candidate.name === fieldName);
    return field ? task.values.get(field.gid) : undefined;
  }

  #gid(): string {
    return String(this.#nextGid++);
  }

  /** Whether this token belongs to the OAuth app, the only one that sees `external` data. */
  #seesExternal(token: string | undefined): boolean {
    return token !== undefined && this.#oauthTokens.has(token);
  }

  #find(gid: string, token: string | undefined): FakeTask | undefined {
    if (gid.startsWith('external:')) {
      if (!this.#seesExternal(token)) return undefined;
      const external = gid.slice('external:'.length);
      return [...this.tasks.values()].find((task) => task.external?.gid === external);
    }
    return this.tasks.get(gid);
  }

  #unknown(gid: string): FakeResponse {
    return fail(404, `task: Unknown object: ${gid}`);
  }

  #listTasks({ params, query, token }: FakeRequest): FakeResponse {
    const project = params.gid!;
    if (!this.#projects.has(project)) return fail(404, `project: Unknown object: ${project}`);
    const all = this.tasksOf(project).sort((a, b) => (a.gid < b.gid ? -1 : 1));
    const optFields = optFieldsOf(query);
    return this.#page(
      all.map((task) => this.#json(task, optFields, 'compact', token)),
      query,
      `/projects/${project}/tasks`,
    );
  }

  /** One page of a list, with Asana's `limit`/`offset` and `next_page`. */
  #page(all: readonly unknown[], query: URLSearchParams, path: string): FakeResponse {
    const limit = query.get('limit') === null ? undefined : Number(query.get('limit'));
    if (limit !== undefined && (limit < 1 || limit > 100)) {
      return fail(400, 'limit: Value must be between 1 and 100');
    }
    const offset = query.get('offset');
    let start = 0;
    if (offset !== null) {
      const decoded = Number(Buffer.from(offset, 'base64url').toString('utf8').split(':')[1]);
      if (!Number.isInteger(decoded)) return fail(400, 'offset: Your pagination token is invalid.');
      start = decoded;
    }
    const size = Math.min(limit ?? all.length, this.#maxPageSize);
    const more = start + size < all.length;
    const nextOffset = Buffer.from(`page:${start + size}`).toString('base64url');
    return {
      status: 200,
      body: {
        data: all.slice(start, start + size),
        next_page: more
          ? {
              offset: nextOffset,
              path: `${path}?limit=${size}&offset=${nextOffset}`,
              uri: `${this.basePath}${path}?limit=${size}&offset=${nextOffset}`,
            }
          : null,
      },
    };
  }

  /**
   * A task as Asana answers it: the full representation for one task, the compact one
   * (gid, resource_type, name, resource_subtype) in lists, and with `opt_fields` only the gid
   * and the fields asked for, nested ones included (`custom_fields.text_value`).
   */
  #json(
    task: FakeTask,
    optFields: readonly string[],
    form: 'full' | 'compact',
    token: string | undefined,
  ): unknown {
    const full = this.#fullTask(this.#seesExternal(token) ? task : { ...task, external: null });
    if (optFields.length > 0) return pick(full, optFields);
    if (form === 'full') return full;
    const { gid, resource_type, name, resource_subtype } = full;
    return { gid, resource_type, name, resource_subtype };
  }

  #fullTask(task: FakeTask): Record<string, unknown> {
    const fieldGids = [
      ...new Set(task.projects.flatMap((project) => this.#projects.get(project) ?? [])),
    ];
    return {
      gid: task.gid,
      resource_type: 'task',
      name: task.name,
      resource_subtype: 'default_task',
      actual_time_minutes: null,
      assignee: null,
      assignee_section: null,
      assignee_status: 'inbox',
      assigned_by: null,
      completed: task.completed,
      completed_at: task.completed ? task.modified_at : null,
      completed_by: null,
      created_at: task.created_at,
      custom_fields: fieldGids.map((gid) => this.#fieldJson(gid, task.values.get(gid) ?? null)),
      custom_type: null,
      custom_type_status_option: null,
      due_at: null,
      due_on: task.due_on,
      ...(task.external ? { external: task.external } : {}),
      followers: [],
      hearted: false,
      hearts: [],
      liked: false,
      likes: [],
      memberships: task.projects.map((gid) => ({
        project: this.#projectJson(gid),
        section: { gid: `${gid}1`, resource_type: 'section', name: 'Untitled section' },
      })),
      modified_at: task.modified_at,
      notes: task.notes,
      num_hearts: 0,
      num_likes: 0,
      parent: null,
      permalink_url: `https://app.asana.com/1/${WORKSPACE}/task/${task.gid}`,
      projects: task.projects.map((gid) => this.#projectJson(gid)),
      start_at: null,
      start_on: null,
      tags: [],
      workspace: { gid: WORKSPACE, resource_type: 'workspace', name: 'Fake workspace' },
    };
  }

  #projectJson(gid: string): Record<string, unknown> {
    return { gid, resource_type: 'project', name: `Project ${gid}` };
  }

  #settingJson(project: string, fieldGid: string): Record<string, unknown> {
    return {
      gid: `${fieldGid}0`,
      resource_type: 'custom_field_setting',
      project: this.#projectJson(project),
      parent: this.#projectJson(project),
      is_important: false,
      custom_field: this.#fieldJson(fieldGid, undefined),
    };
  }

  /** A custom field, with a task's value (`undefined`: the field itself, no value). */
  #fieldJson(gid: string, value: unknown): Record<string, unknown> {
    const field = this.fields.get(gid)!;
    const options = (field.enum_options ?? []).map((option) => ({
      gid: option.gid,
      resource_type: 'enum_option',
      name: option.name,
      enabled: option.enabled,
      color: 'none',
    }));
    const json: Record<string, unknown> = {
      gid,
      resource_type: 'custom_field',
      name: field.name,
      resource_subtype: field.resource_subtype,
      type: field.resource_subtype,
      enabled: true,
      ...(options.length > 0 ? { enum_options: options } : {}),
    };
    if (value === undefined) return json;
    const stored = value ?? null;
    let display: string | null = null;
    switch (field.resource_subtype) {
      case 'text':
        json.text_value = stored;
        display = stored as string | null;
        break;
      case 'number':
        json.number_value = stored;
        display = stored === null ? null : String(stored);
        break;
      case 'date':
        json.date_value = stored === null ? null : { date: (stored as { date: string }).date };
        display = stored === null ? null : (stored as { date: string }).date;
        break;
      case 'enum': {
        const option = options.find((candidate) => candidate.gid === stored) ?? null;
        json.enum_value = option;
        display = option?.name ?? null;
        break;
      }
      case 'multi_enum': {
        const picked = options.filter((option) =>
          ((stored as string[] | null) ?? []).includes(option.gid),
        );
        json.multi_enum_values = picked;
        display = picked.length > 0 ? picked.map((option) => option.name).join(', ') : null;
        break;
      }
    }
    json.display_value = display;
    return json;
  }

  #createTask({ body, query, token }: FakeRequest): FakeResponse {
    const data = (body as { data?: Record<string, unknown> })?.data;
    if (!data) return fail(400, 'data: Missing input');
    const projects = (data.projects as string[] | undefined) ?? [];
    if (projects.length === 0 && data.workspace === undefined) {
      return fail(400, 'workspace: Missing input');
    }
    for (const project of projects) {
      if (!this.#projects.has(project)) return fail(404, `project: Unknown object: ${project}`);
    }
    // Asana documents no uniqueness for `external.gid`: a second task may hold the same one.
    // Only the OAuth app's tokens store `external`; a personal access token's is dropped.
    const external = this.#seesExternal(token)
      ? (data.external as FakeTask['external'] | undefined)
      : undefined;
    const task: FakeTask = {
      gid: this.#gid(),
      name: '',
      notes: '',
      completed: false,
      due_on: null,
      projects,
      external: external ?? null,
      values: new Map(),
      created_at: new Date().toISOString(),
      modified_at: new Date().toISOString(),
    };
    const problem = this.#apply(task, data, projects, token);
    if (problem) return fail(400, problem);
    this.tasks.set(task.gid, task);
    return { status: 201, body: { data: this.#json(task, optFieldsOf(query), 'full', token) } };
  }

  #updateTask({ params, body, query, token }: FakeRequest): FakeResponse {
    const task = this.#find(params.gid!, token);
    if (!task) return this.#unknown(params.gid!);
    const data = (body as { data?: Record<string, unknown> })?.data;
    if (!data) return fail(400, 'data: Missing input');
    const problem = this.#apply(task, data, task.projects, token);
    if (problem) return fail(400, problem);
    task.modified_at = new Date().toISOString();
    return { status: 200, body: { data: this.#json(task, optFieldsOf(query), 'full', token) } };
  }

  /** Applies writable fields; returns an error message for a bad value. */
  #apply(
    task: FakeTask,
    data: Record<string, unknown>,
    projects: string[],
    token: string | undefined,
  ): string | null {
    if (typeof data.name === 'string') task.name = data.name;
    if (typeof data.notes === 'string') {
      if (data.notes.length > 65_535) return 'notes: Text is too long';
      task.notes = data.notes;
    }
    if (typeof data.completed === 'boolean') task.completed = data.completed;
    if (data.due_on !== undefined) {
      if (data.due_on !== null && !/^\d{4}-\d{2}-\d{2}$/.test(String(data.due_on))) {
        return `due_on: Invalid date: ${String(data.due_on)}`;
      }
      task.due_on = data.due_on as string | null;
    }
    if (data.external !== undefined && this.#seesExternal(token)) {
      task.external = data.external as FakeTask['external'];
    }
    const allowed = new Set(projects.flatMap((project) => this.#projects.get(project) ?? []));
    for (const [gid, value] of Object.entries((data.custom_fields as object) ?? {})) {
      const field = this.fields.get(gid);
      if (!field || !allowed.has(gid)) {
        return `custom_fields: Custom field with ID ${gid} is not on given object`;
      }
      const problem = checkFieldValue(field, value);
      if (problem) return problem;
      task.values.set(gid, value);
    }
    return null;
  }
}

/** The workspace every fake project lives in. */
const WORKSPACE = '1100000000000001';
