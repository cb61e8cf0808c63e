import { importPeer } from '../support/index.js';

export interface AsanaCustomField {
  readonly gid: string;
  readonly name: string;
  readonly resource_subtype: string;
  readonly enum_options?: ReadonlyArray<{ gid: string; name: string; enabled?: boolean }>;
}

export interface AsanaTask {
  readonly gid: string;
  readonly external?: { gid?: string | null } | null;
  readonly custom_fields?: ReadonlyArray<{ gid: string; text_value?: string | null }>;
}

export interface AsanaPage<T> {
  readonly data: readonly T[];
  readonly next_page: { offset: string } | null;
}

/** The Asana calls the destination makes; tests may pass an in-memory implementation. */
export interface AsanaClient {
  listProjectTasks(
    projectGid: string,
    options: { limit: number; offset?: string | undefined; optFields: readonly string[] },
  ): Promise<AsanaPage<AsanaTask>>;
  projectCustomFields(projectGid: string): Promise<readonly AsanaCustomField[]>;
  createTask(data: Record<string, unknown>): Promise<{ gid: string }>;
  /** A task by gid or `external:<id>`; `null` when there is none. */
  findTask(gid: string): Promise<{ gid: string } | null>;
  updateTask(gid: string, data: Record<string, unknown>): Promise<unknown>;
  deleteTask(gid: string): Promise<unknown>;
}

export interface AsanaClientOptions {
  readonly token: string;
  /** @default 'https://app.asana.com/api/1.0' */
  readonly basePath?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * Binds the official `asana` SDK (v3, loaded on first use) with a client of its own, not the
 * SDK's shared singleton, so several connections can hold different tokens and base paths.
 */
export async function createAsanaClient(options: AsanaClientOptions): Promise<AsanaClient> {
  const asana = (await importPeer('asana', 'asana', () => import('asana'))) as unknown as AsanaSdk;
  const sdk = asana.default ?? asana;
  const apiClient = new sdk.ApiClient();
  if (options.basePath) apiClient.basePath = options.basePath.replace(/\/+$/, '');
  apiClient.authentications.token.accessToken = options.token;
  apiClient.timeout = options.timeoutMs ?? 30_000;
  // Plain `{ data, next_page }` bodies: keepsync pages with the offset itself.
  apiClient.RETURN_COLLECTION = false;
  const tasks = new sdk.TasksApi(apiClient);
  const settings = new sdk.CustomFieldSettingsApi(apiClient);
  return {
    listProjectTasks: (projectGid, { limit, offset, optFields }) =>
      tasks.getTasksForProject(projectGid, {
        limit,
        ...(offset ? { offset } : {}),
        opt_fields: optFields.join(','),
      }) as Promise<AsanaPage<AsanaTask>>,
    async projectCustomFields(projectGid) {
      const fields: AsanaCustomField[] = [];
      let offset: string | undefined;
      do {
        const page = (await settings.getCustomFieldSettingsForProject(projectGid, {
          limit: 100,
          ...(offset ? { offset } : {}),
          opt_fields:
            'custom_field.gid,custom_field.name,custom_field.resource_subtype,custom_field.enum_options.name,custom_field.enum_options.enabled',
        })) as AsanaPage<{ custom_field: AsanaCustomField }>;
        fields.push(...page.data.map((setting) => setting.custom_field));
        offset = page.next_page?.offset;
      } while (offset);
      return fields;
    },
    createTask: async (data) =>
      ((await tasks.createTask({ data }, { opt_fields: 'gid' })) as { data: { gid: string } }).data,
    async findTask(gid) {
      try {
        return ((await tasks.getTask(gid, { opt_fields: 'gid' })) as { data: { gid: string } })
          .data;
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    },
    updateTask: (gid, data) => tasks.updateTask({ data }, gid, { opt_fields: 'gid' }),
    deleteTask: (gid) => tasks.deleteTask(gid),
  };
}

/** The slice of the untyped SDK keepsync uses. */
interface AsanaSdk {
  default?: AsanaSdk;
  ApiClient: new () => {
    basePath: string;
    timeout: number;
    RETURN_COLLECTION: boolean;
    authentications: { token: { accessToken?: string } };
  };
  TasksApi: new (
    client: unknown,
  ) => {
    getTasksForProject(project: string, options: object): Promise<unknown>;
    getTask(gid: string, options: object): Promise<unknown>;
    createTask(body: object, options: object): Promise<unknown>;
    updateTask(body: object, gid: string, options: object): Promise<unknown>;
    deleteTask(gid: string): Promise<unknown>;
  };
  CustomFieldSettingsApi: new (
    client: unknown,
  ) => {
    getCustomFieldSettingsForProject(project: string, options: object): Promise<unknown>;
  };
}
