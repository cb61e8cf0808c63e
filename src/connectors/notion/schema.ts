import { KeepsyncError } from '../../model/index.js';
import type { NotionSchemaProperty } from './client.js';
import type { NotionPropertyType } from './encode.js';

/** One property the pipeline writes: its Notion name and type, and the field it comes from. */
export interface PlannedProperty {
  readonly name: string;
  readonly type: NotionPropertyType;
  readonly field: string;
}

export interface SchemaCheck {
  /** Properties to add (only when adding is allowed). */
  readonly missing: readonly PlannedProperty[];
  /** Problems only a person can fix: wrong types, a missing title. */
  readonly problems: readonly string[];
}

/** Compares the properties a pipeline writes with a data source's schema. */
export function checkSchema(
  planned: readonly PlannedProperty[],
  actual: Readonly<Record<string, NotionSchemaProperty>>,
): SchemaCheck {
  const missing: PlannedProperty[] = [];
  const problems: string[] = [];
  for (const property of planned) {
    const found = actual[property.name];
    if (!found) {
      if (property.type === 'title') {
        problems.push(
          `property \`${property.name}\` (title) is missing; a data source has exactly one title property: rename it in Notion or change the mapping`,
        );
      } else {
        missing.push(property);
      }
    } else if (found.type !== property.type) {
      problems.push(
        `property \`${property.name}\` is ${found.type} in Notion, but field \`${property.field}\` is mapped to it as ${property.type}`,
      );
    }
  }
  return { missing, problems };
}

/** The error a failed check raises before anything is written. */
export function schemaError(
  dataSourceId: string,
  problems: readonly string[],
  missing: readonly PlannedProperty[],
): KeepsyncError {
  const lines = [
    ...problems,
    ...missing.map(
      (property) =>
        `property \`${property.name}\` (${property.type}) is missing; add it in Notion or set \`createMissingProperties: true\``,
    ),
  ];
  return new KeepsyncError(
    'CONFIG_INVALID',
    `Notion data source ${dataSourceId} does not match the properties this pipeline writes; nothing was written:\n${lines
      .map((line) => `  - ${line}`)
      .join('\n')}`,
  );
}

/** The definition that creates a property through `PATCH /v1/data_sources/{id}`. */
export function propertyDefinition(
  property: PlannedProperty,
  dataSourceId: string,
): Record<string, unknown> {
  if (property.type === 'relation') {
    return { relation: { data_source_id: dataSourceId, single_property: {} } };
  }
  if (property.type === 'number') return { number: { format: 'number' } };
  if (property.type === 'select' || property.type === 'multi_select') {
    return { [property.type]: { options: [] } };
  }
  return { [property.type]: {} };
}
