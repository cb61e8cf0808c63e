import { randomUUID } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../fake-server.js';
import { fail, missing } from './errors.js';
import type { DataSource, NotionState } from './state.js';
import { BOT_USER, textPart, withConfig } from './values.js';

/** When the fake's databases and data sources were made. */
const CREATED = '2026-01-01T00:00:00.000Z';

/** `GET /v1/databases/{id}`: the database and the data sources it holds. */
export function getDatabase(state: NotionState, id: string): FakeResponse {
  const sources = [...state.dataSources.values()].filter((source) => source.databaseId === id);
  if (sources.length === 0) return missing(id);
  return {
    status: 200,
    body: {
      object: 'database',
      id,
      title: [textPart(sources[0]!.title)],
      description: [],
      parent: { type: 'workspace', workspace: true },
      is_inline: false,
      in_trash: false,
      archived: false,
      is_locked: false,
      created_time: CREATED,
      last_edited_time: CREATED,
      data_sources: sources.map((source) => ({ id: source.id, name: source.title })),
      icon: null,
      cover: null,
      url: `https://www.notion.so/${id.replaceAll('-', '')}`,
      public_url: null,
    },
  };
}

/** `GET /v1/data_sources/{id}`. */
export function getDataSource(state: NotionState, id: string): FakeResponse {
  const source = state.dataSources.get(id);
  return source ? { status: 200, body: dataSourceJson(source) } : missing(id);
}

/** `PATCH /v1/data_sources/{id}`: adds or changes properties of the schema. */
export function updateDataSource(state: NotionState, { params, body }: FakeRequest): FakeResponse {
  const source = state.dataSources.get(params.id!);
  if (!source) return missing(params.id!);
  const properties = (body as { properties?: Record<string, Record<string, unknown>> })?.properties;
  for (const [name, definition] of Object.entries(properties ?? {})) {
    const type = Object.keys(definition).find((key) => key !== 'name' && key !== 'type');
    if (!type) return fail(400, 'validation_error', `body.properties.${name} has no type.`);
    source.properties[name] = {
      id: source.properties[name]?.id ?? randomUUID().slice(0, 4),
      name,
      ...withConfig({ type, ...(definition[type] as object) }),
    };
  }
  return { status: 200, body: dataSourceJson(source) };
}

function dataSourceJson(source: DataSource): unknown {
  return {
    object: 'data_source',
    id: source.id,
    title: [textPart(source.title)],
    description: [],
    parent: { type: 'database_id', database_id: source.databaseId },
    database_parent: { type: 'workspace', workspace: true },
    is_inline: false,
    in_trash: false,
    archived: false,
    created_time: CREATED,
    last_edited_time: CREATED,
    created_by: BOT_USER,
    last_edited_by: BOT_USER,
    properties: Object.fromEntries(
      Object.entries(source.properties).map(([name, property]) => [
        name,
        { description: null, ...property },
      ]),
    ),
    icon: null,
    cover: null,
    url: `https://www.notion.so/${source.databaseId.replaceAll('-', '')}`,
    public_url: null,
  };
}
