import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAsana } from '../../fakes/index.js';

/** The subset of Asana's official OpenAPI description for the calls the connector makes. */
const description = createRequire(import.meta.url)(
  '../../fakes/schemas/asana/asana-responses.json',
) as {
  operations: Record<string, { responses: Record<string, unknown> }>;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown> };
};

type Schema = Record<string, unknown>;

/**
 * OpenAPI 3.0 as JSON Schema: `nullable` becomes `null` or the schema without it, and
 * references point into the description registered as `asana`.
 */
function jsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonSchema);
  if (value === null || typeof value !== 'object') return value;
  const raw = value as Schema;
  const members = (raw.allOf as Schema[] | undefined) ?? [];
  const nullable = raw.nullable === true || members.some((member) => member.nullable === true);
  const { nullable: _, ...rest } = raw;
  if (members.length > 0) rest.allOf = members.map(({ nullable: __, ...member }) => member);
  const schema = Object.fromEntries(
    Object.entries(rest).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' ? `asana${inner}` : jsonSchema(inner),
    ]),
  );
  return nullable ? { anyOf: [{ type: 'null' }, schema] } : schema;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ ...(jsonSchema({ components: description.components }) as Schema), $id: 'asana' });

function resolve(schema: Schema): Schema {
  const ref = schema.$ref as string | undefined;
  if (!ref) return schema;
  const [, , kind, name] = ref.split('/') as [string, string, 'schemas' | 'responses', string];
  return resolve(description.components[kind][name] as Schema);
}

/** The JSON schema of one answer: the operation's own, or the shared error response's. */
function answerSchema(operation: string, status: number): Schema {
  const responses = description.operations[operation]!.responses;
  const response = resolve((responses[String(status)] ?? responses['400']) as Schema);
  return (response.content as Record<string, { schema: Schema }>)['application/json']!.schema;
}

/** Every property of the value the description does not name (an invented field). */
function undocumented(value: unknown, schema: Schema, path: string): string[] {
  const resolved = resolve(schema);
  if (Array.isArray(value)) {
    const items = resolved.items as Schema | undefined;
    return items
      ? value.flatMap((item, index) => undocumented(item, items, `${path}[${index}]`))
      : [];
  }
  if (value === null || typeof value !== 'object') return [];
  const properties = new Map<string, Schema>();
  const gather = (member: Schema): void => {
    const inner = resolve(member);
    for (const part of (inner.allOf as Schema[] | undefined) ?? []) gather(part);
    for (const [name, property] of Object.entries((inner.properties as object) ?? {}))
      properties.set(name, property as Schema);
  };
  gather(resolved);
  if (properties.size === 0) return [];
  return Object.entries(value).flatMap(([name, inner]) => {
    const property = properties.get(name);
    return property ? undocumented(inner, property, `${path}.${name}`) : [`${path}.${name}`];
  });
}

/** Fields a description marks as returned only when asked for or only in some cases. */
const CONDITIONAL = /Opt In|Conditional/i;

/**
 * The properties an answer always carries: those of the schema (and its `allOf` parts) that
 * are not marked opt-in or conditional.
 */
function defaultProperties(schema: Schema): string[] {
  const inner = resolve(schema);
  const own = Object.entries((inner.properties as Record<string, Schema>) ?? {}).filter(
    ([, property]) => {
      const parts = [property, ...((property.allOf as Schema[] | undefined) ?? [])];
      return !parts.some((part) => CONDITIONAL.test(String(part.description ?? '')));
    },
  );
  return [
    ...((inner.allOf as Schema[] | undefined) ?? []).flatMap(defaultProperties),
    ...own.map(([name]) => name),
  ];
}

function schemaRef(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

/** With opt_fields, list items are picked from the full representation. */
function listOf(item: string): Schema {
  return {
    type: 'object',
    properties: {
      data: { type: 'array', items: schemaRef(item) },
      next_page: schemaRef('NextPage'),
    },
  };
}

describe("the Asana fake answers in the shapes of Asana's OpenAPI description, for every call the connector makes", () => {
  let fake: FakeAsana;
  let project: string;
  let taskGid: string;
  let doomedGid: string;
  beforeAll(async () => {
    fake = await new FakeAsana({ oauthTokens: ['pat_shapes'], maxPageSize: 2 }).start();
    project = fake.createProject([
      { name: 'Key', resource_subtype: 'text' },
      { name: 'Points', resource_subtype: 'number' },
      {
        name: 'Priority',
        resource_subtype: 'enum',
        enum_options: [{ gid: '', name: 'High', enabled: true }],
      },
      {
        name: 'Labels',
        resource_subtype: 'multi_enum',
        enum_options: [{ gid: '', name: 'bug', enabled: true }],
      },
      { name: 'Due', resource_subtype: 'date' },
    ]);
    const fields = Object.fromEntries(
      [...fake.fields.values()].map((field) => [field.name, field]),
    );
    const values = {
      [fields.Key!.gid]: 'ISSUE-1',
      [fields.Points!.gid]: 3,
      [fields.Priority!.gid]: fields.Priority!.enum_options![0]!.gid,
      [fields.Labels!.gid]: [fields.Labels!.enum_options![0]!.gid],
      [fields.Due!.gid]: { date: '2026-07-01' },
    };
    for (const name of ['First', 'Second', 'Third']) {
      const created = await call('POST', '/tasks?opt_fields=gid', {
        data: {
          name,
          projects: [project],
          external: { gid: name },
          due_on: '2026-07-01',
          custom_fields: values,
        },
      });
      doomedGid = taskGid;
      taskGid = (created.body as { data: { gid: string } }).data.gid;
    }
  });
  afterAll(async () => {
    await fake.close();
  });

  async function call(method: string, path: string, body?: unknown, token = 'pat_shapes') {
    const response = await fetch(`${fake.basePath}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  interface Case {
    readonly what: string;
    readonly operation: string;
    readonly request: () => [string, string, unknown?];
    readonly status: number;
    /** The schema of the answer when opt_fields pick from the full representation. */
    readonly schema?: Schema;
    /** Every object in `data` carries this schema's default properties (no opt_fields asked). */
    readonly defaults?: string;
    /** With opt_fields, every object in `data` carries exactly these keys. */
    readonly keys?: readonly string[];
  }
  // The connector's own opt_fields (src/connectors/asana/client.ts), and the defaults without them.
  const settingsFields =
    'custom_field.gid,custom_field.name,custom_field.resource_subtype,custom_field.enum_options.name,custom_field.enum_options.enabled';
  const cases: Case[] = [
    {
      what: 'list a project’s tasks by external gid',
      operation: 'GET /projects/{project_gid}/tasks',
      request: () => ['GET', `/projects/${project}/tasks?limit=2&opt_fields=external`],
      status: 200,
      schema: listOf('TaskResponse'),
      keys: ['gid', 'external'],
    },
    {
      what: 'list a project’s tasks by a key custom field',
      operation: 'GET /projects/{project_gid}/tasks',
      request: () => [
        'GET',
        `/projects/${project}/tasks?limit=100&opt_fields=custom_fields.gid,custom_fields.text_value`,
      ],
      status: 200,
      schema: listOf('TaskResponse'),
      keys: ['gid', 'custom_fields'],
    },
    {
      what: 'list a project’s tasks (compact)',
      operation: 'GET /projects/{project_gid}/tasks',
      request: () => ['GET', `/projects/${project}/tasks`],
      status: 200,
      defaults: 'TaskCompact',
    },
    {
      what: 'list a project’s custom field settings',
      operation: 'GET /projects/{project_gid}/custom_field_settings',
      request: () => [
        'GET',
        `/projects/${project}/custom_field_settings?limit=100&opt_fields=${settingsFields}`,
      ],
      status: 200,
      keys: ['gid', 'custom_field'],
    },
    {
      what: 'list a project’s custom field settings (defaults)',
      operation: 'GET /projects/{project_gid}/custom_field_settings',
      request: () => ['GET', `/projects/${project}/custom_field_settings?limit=2`],
      status: 200,
      defaults: 'CustomFieldSettingResponse',
    },
    {
      what: 'create a task',
      operation: 'POST /tasks',
      request: () => [
        'POST',
        '/tasks?opt_fields=gid',
        { data: { name: 'Fourth', projects: [project] } },
      ],
      status: 201,
      keys: ['gid'],
    },
    {
      what: 'create a task (full answer)',
      operation: 'POST /tasks',
      request: () => ['POST', '/tasks', { data: { name: 'Fifth', projects: [project] } }],
      status: 201,
      defaults: 'TaskResponse',
    },
    {
      what: 'get a task',
      operation: 'GET /tasks/{task_gid}',
      request: () => ['GET', `/tasks/${taskGid}?opt_fields=gid`],
      status: 200,
      keys: ['gid'],
    },
    {
      what: 'get a task by external gid',
      operation: 'GET /tasks/{task_gid}',
      request: () => ['GET', '/tasks/external:First?opt_fields=gid'],
      status: 200,
      keys: ['gid'],
    },
    {
      what: 'get a task (full)',
      operation: 'GET /tasks/{task_gid}',
      request: () => ['GET', `/tasks/${taskGid}`],
      status: 200,
      defaults: 'TaskResponse',
    },
    {
      what: 'update a task',
      operation: 'PUT /tasks/{task_gid}',
      request: () => ['PUT', `/tasks/${taskGid}?opt_fields=gid`, { data: { completed: true } }],
      status: 200,
      keys: ['gid'],
    },
    {
      what: 'update a task (full answer)',
      operation: 'PUT /tasks/{task_gid}',
      request: () => ['PUT', `/tasks/${taskGid}`, { data: { notes: 'Body' } }],
      status: 200,
      defaults: 'TaskResponse',
    },
    {
      what: 'delete a task',
      operation: 'DELETE /tasks/{task_gid}',
      request: () => ['DELETE', `/tasks/${doomedGid}`],
      status: 200,
    },
    {
      what: 'an unknown task',
      operation: 'GET /tasks/{task_gid}',
      request: () => ['GET', '/tasks/404404'],
      status: 404,
    },
    {
      what: 'a bad value',
      operation: 'PUT /tasks/{task_gid}',
      request: () => ['PUT', `/tasks/${taskGid}`, { data: { due_on: 'soon' } }],
      status: 400,
    },
  ];
  for (const test of cases) {
    it(`${test.what} answers ${test.status} in the shape of ${test.operation}`, async () => {
      const [method, path, body] = test.request();
      const response = await call(method, path, body);
      expect(response.status).toBe(test.status);
      const schema = test.schema ?? answerSchema(test.operation, test.status);
      const validate = ajv.compile(jsonSchema(schema) as Schema);
      const valid = validate(response.body);
      expect(validate.errors?.slice(0, 5) ?? []).toEqual([]);
      expect(valid).toBe(true);
      expect(undocumented(response.body, schema, '')).toEqual([]);
      const data = (response.body as { data: object | object[] }).data;
      const objects = Array.isArray(data) ? data : [data];
      if (test.defaults) {
        const wanted = defaultProperties(schemaRef(test.defaults));
        for (const object of objects)
          expect(wanted.filter((name) => !(name in object))).toEqual([]);
      }
      if (test.keys)
        for (const object of objects)
          expect(Object.keys(object).sort()).toEqual([...test.keys].sort());
    });
  }

  it('a refused token answers 401 in the error shape', async () => {
    const response = await call('GET', `/tasks/${taskGid}`, undefined, 'pat_wrong');
    expect(response.status).toBe(401);
    const schema = answerSchema('GET /tasks/{task_gid}', 401);
    const validate = ajv.compile(jsonSchema(schema) as Schema);
    expect(validate(response.body)).toBe(true);
    expect(undocumented(response.body, schema, '')).toEqual([]);
  });
});
