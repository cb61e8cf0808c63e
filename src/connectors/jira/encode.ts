import type { NeutralValue } from '../../model/index.js';
import { type RecordField, valueRefuser } from '../support/index.js';
import { textToAdf } from './adf.js';

/** Issue fields keepsync writes natively. */
export type JiraIssueField =
  | 'summary'
  | 'description'
  | 'labels'
  | 'priority'
  | 'assignee'
  | 'duedate'
  | 'components'
  | 'fixVersions';

/** How a custom field's value is shaped: as it is, or as Jira's select-list objects. */
export type JiraCustomFieldType = 'raw' | 'text' | 'number' | 'date' | 'option' | 'options';

/** Where a record field goes: an issue field, or a custom field by id (`customfield_10016`). */
export type JiraTarget =
  | JiraIssueField
  | { readonly customField: string; readonly type?: JiraCustomFieldType };

/** Jira refuses a summary longer than 255 characters. */
const MAX_SUMMARY = 255;

type Where = RecordField;

const refuse = valueRefuser('Jira');

const text = (value: NeutralValue): string =>
  value instanceof Date ? value.toISOString() : String(value);

function dateOnly(value: NeutralValue): string | undefined {
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) return value.slice(0, 10);
  return undefined;
}

const list = (value: NeutralValue): NeutralValue[] =>
  Array.isArray(value) ? value : value === null ? [] : [value];

/** Encodes a neutral value for an issue field. */
export function encodeIssueField(
  field: JiraIssueField,
  value: NeutralValue,
  where: Where,
): unknown {
  switch (field) {
    case 'summary': {
      const summary = value === null ? '' : text(value).replace(/[\r\n]+/g, ' ');
      if (summary.length > MAX_SUMMARY) {
        return refuse(where, 'field `summary`', `at most ${MAX_SUMMARY} characters`, value);
      }
      return summary;
    }
    case 'description':
      return value === null ? null : textToAdf(text(value));
    case 'labels':
      // Jira labels cannot hold spaces: each run of whitespace becomes `_`.
      return list(value)
        .map((label) => text(label).trim().replace(/\s+/g, '_'))
        .filter(Boolean);
    case 'priority':
      return value === null ? null : { name: text(value) };
    case 'assignee':
      return value === null ? null : { accountId: text(value) };
    case 'duedate':
      return value === null
        ? null
        : (dateOnly(value) ?? refuse(where, 'field `duedate`', 'a date', value));
    case 'components':
    case 'fixVersions':
      return list(value).map((name) => ({ name: text(name) }));
  }
}

/** Encodes a neutral value for a custom field of the given shape. */
export function encodeCustomField(
  target: { readonly customField: string; readonly type?: JiraCustomFieldType },
  value: NeutralValue,
  where: Where,
): unknown {
  const name = `custom field \`${target.customField}\``;
  if (value === null) return null;
  switch (target.type ?? 'raw') {
    case 'text':
      return text(value);
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      return refuse(where, name, 'a finite number', value);
    case 'date':
      return dateOnly(value) ?? refuse(where, name, 'a date', value);
    case 'option':
      return { value: text(value) };
    case 'options':
      return list(value).map((option) => ({ value: text(option) }));
    case 'raw':
      return value instanceof Date ? value.toISOString() : value;
  }
}
