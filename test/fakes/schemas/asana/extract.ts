/**
 * Cuts the subset of Asana's official OpenAPI description that the Asana fake is checked
 * against: the operations the asana connector calls, their responses, and every schema those
 * reach. Run from the repository root with the description's YAML on stdin:
 *   git -C <clone of github.com/Asana/openapi> show HEAD:defs/asana_oas.yaml \
 *     | node --import tsx test/fakes/schemas/asana/extract.ts <commit> <date>
 * It writes test/fakes/schemas/asana/asana-responses.json (then `npx biome format --write` it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The operations src/connectors/asana/client.ts makes, by path and method. */
export const OPERATIONS: Readonly<Record<string, readonly string[]>> = {
  '/projects/{project_gid}/tasks': ['get'],
  '/projects/{project_gid}/custom_field_settings': ['get'],
  '/tasks': ['post'],
  '/tasks/{task_gid}': ['get', 'put', 'delete'],
};

interface Description {
  paths: Record<string, Record<string, { operationId: string; responses: object }>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown> };
}

const [commit, date] = process.argv.slice(2);
if (!commit || !date) throw new Error('usage: extract.ts <commit> <date> < asana_oas.yaml');
const description = parse(readFileSync(0, 'utf8'), { maxAliasCount: -1 }) as Description;

const schemas: Record<string, unknown> = {};
const responses: Record<string, unknown> = {};
/** Copies every component a value refers to, transitively. */
function collect(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) collect(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$ref' && typeof inner === 'string') {
      const [, , kind, name] = inner.split('/') as [string, string, string, string];
      const target = kind === 'schemas' ? schemas : responses;
      if (name in target) continue;
      const source = description.components[kind as 'schemas' | 'responses'][name];
      if (source === undefined) throw new Error(`unresolved ${inner}`);
      target[name] = source;
      collect(source);
    } else collect(inner);
  }
}

const operations: Record<string, unknown> = {};
for (const [path, methods] of Object.entries(OPERATIONS)) {
  for (const method of methods) {
    const operation = description.paths[path]?.[method];
    if (!operation) throw new Error(`${method} ${path} is not in the description`);
    operations[`${method.toUpperCase()} ${path}`] = {
      operationId: operation.operationId,
      responses: operation.responses,
    };
    collect(operation.responses);
  }
}

const out = {
  $comment: `Subset of Asana's official OpenAPI description, https://github.com/Asana/openapi/blob/${commit}/defs/asana_oas.yaml (commit ${commit}, ${date}), Apache-2.0. Cut by test/fakes/schemas/asana/extract.ts; do not edit by hand.`,
  source: {
    url: 'https://github.com/Asana/openapi/blob/master/defs/asana_oas.yaml',
    commit,
    date,
  },
  operations,
  components: { schemas, responses },
};
writeFileSync(
  new URL('./asana-responses.json', import.meta.url),
  `${JSON.stringify(out, null, 2)}\n`,
);
process.stdout.write(
  `${Object.keys(operations).length} operations, ${Object.keys(schemas).length} schemas, ${Object.keys(responses).length} responses\n`,
);
