import type { NeutralValue, SyncRecord } from '../../model/index.js';
import { adfToText } from './adf.js';
import type { JiraIssue } from './client.js';
import { parseJiraTime } from './cursor.js';

/** The fields the source asks Jira for. */
export const ISSUE_FIELDS = [
  'summary',
  'status',
  'issuetype',
  'assignee',
  'reporter',
  'priority',
  'labels',
  'created',
  'updated',
  'description',
  'project',
  'duedate',
] as const;

const nameOf = (value: unknown): string | null => (value as { name?: string } | null)?.name ?? null;
const personOf = (value: unknown): string | null =>
  (value as { displayName?: string } | null)?.displayName ?? null;

function timeOf(value: unknown): Date | null {
  const ms = parseJiraTime(value);
  return ms === null ? null : new Date(ms);
}

/**
 * An issue as a record keyed on its id (never the key, which changes when an issue moves to
 * another project); the description's ADF becomes the plain-text body.
 */
export function issueRecord(
  issue: JiraIssue,
  siteUrl: string | undefined,
  extraFields: readonly string[],
): SyncRecord {
  const fields = issue.fields ?? {};
  const updated = timeOf(fields.updated);
  const record: Record<string, NeutralValue> = {
    summary: typeof fields.summary === 'string' ? fields.summary : '',
    issueKey: issue.key,
    issueType: nameOf(fields.issuetype),
    status: nameOf(fields.status),
    priority: nameOf(fields.priority),
    assignee: personOf(fields.assignee),
    reporter: personOf(fields.reporter),
    labels: Array.isArray(fields.labels) ? fields.labels.map(String) : [],
    project: (fields.project as { key?: string } | null)?.key ?? null,
    created: timeOf(fields.created),
    updated,
    due: typeof fields.duedate === 'string' ? fields.duedate : null,
  };
  if (siteUrl) record.url = `${siteUrl.replace(/\/+$/, '')}/browse/${issue.key}`;
  for (const name of extraFields) record[name] = (fields[name] ?? null) as NeutralValue;
  const body = adfToText(fields.description);
  return {
    key: String(issue.id),
    fields: record,
    ...(body !== null ? { body } : {}),
    ...(updated ? { updatedAt: updated } : {}),
  };
}
