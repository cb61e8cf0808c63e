import type { FakeJiraIssue } from './jira.js';

/** What the fake Jira accepts: its issue types, priorities and writable fields. */
export const ISSUE_TYPES = ['Task', 'Bug', 'Story'];
export const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'];
const WRITABLE = new Set([
  'project',
  'issuetype',
  'summary',
  'description',
  'labels',
  'priority',
  'assignee',
  'duedate',
  'components',
  'fixVersions',
]);

/** Field-by-field checks Jira makes on create and edit. */
export function validate(fields: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (!WRITABLE.has(name) && !/^customfield_\d+$/.test(name)) {
      errors[name] =
        `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
      continue;
    }
    if (name === 'summary' && typeof value === 'string' && value.length > 255) {
      errors.summary = 'Summary must be less than 255 characters.';
    }
    if (name === 'description' && value !== null) {
      const doc = value as { type?: unknown; version?: unknown; content?: unknown };
      if (
        typeof value !== 'object' ||
        doc.type !== 'doc' ||
        doc.version !== 1 ||
        !Array.isArray(doc.content)
      ) {
        errors.description =
          'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
      }
    }
    if (name === 'labels') {
      if (!Array.isArray(value)) errors.labels = 'data was not an array';
      else {
        const bad = value.find((label) => typeof label !== 'string' || /\s/.test(label));
        if (bad !== undefined)
          errors.labels = `The label '${String(bad)}' contains spaces which is invalid.`;
      }
    }
    if (
      name === 'priority' &&
      value !== null &&
      !PRIORITIES.includes((value as { name?: string }).name ?? '')
    ) {
      errors.priority = `The priority selected is invalid.`;
    }
    if (name === 'duedate' && value !== null && !/^\d{4}-\d{2}-\d{2}$/.test(String(value))) {
      errors.duedate = `Error parsing date string: ${String(value)}`;
    }
  }
  return errors;
}

export function apply(issue: FakeJiraIssue, fields: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(fields)) {
    switch (name) {
      case 'project':
      case 'issuetype':
        if (name === 'issuetype') issue.issuetype = (value as { name: string }).name;
        break;
      case 'summary':
        issue.summary = value as string;
        break;
      case 'description':
        issue.description = value;
        break;
      case 'labels':
        issue.labels = value as string[];
        break;
      case 'priority':
        issue.priority = (value as { name: string } | null)?.name ?? null;
        break;
      case 'assignee':
        issue.assignee = (value as { accountId: string } | null)?.accountId ?? null;
        break;
      case 'duedate':
        issue.duedate = value as string | null;
        break;
      default:
        issue.custom[name] = value;
    }
  }
}

export function jqlValue(issue: FakeJiraIssue, field: string) {
  switch (field) {
    case 'project':
      return issue.project;
    case 'id':
      return issue.id;
    case 'key':
      return issue.key;
    case 'updated':
      return issue.updated;
    case 'created':
      return issue.created;
    case 'labels':
      return issue.labels;
    case 'status':
      return issue.status;
    case 'issuetype':
      return issue.issuetype;
    case 'priority':
      return issue.priority;
    default:
      return null;
  }
}

export function sortKey(issue: FakeJiraIssue, field: string): string | number {
  if (field === 'key') {
    const [project, number] = issue.key.split('-');
    return `${project}-${number!.padStart(10, '0')}`;
  }
  if (field === 'id') return Number(issue.id);
  const value = jqlValue(issue, field);
  return Array.isArray(value) ? value.join(',') : ((value as string | number | null) ?? '');
}

export function encodeToken(jql: string, offset: number): string {
  return Buffer.from(JSON.stringify({ jql, offset })).toString('base64url');
}

export function decodeToken(token: string): { jql: string; offset: number } | null {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      jql?: unknown;
      offset?: unknown;
    };
    return typeof decoded.jql === 'string' && typeof decoded.offset === 'number'
      ? { jql: decoded.jql, offset: decoded.offset }
      : null;
  } catch {
    return null;
  }
}
