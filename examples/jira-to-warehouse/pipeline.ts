/**
 * Jira issues of one project, updated since the last run, upserted hourly into a PostgreSQL
 * warehouse table in the warehouse's own schema. The cursor, links and hashes live in the same
 * PostgreSQL database (schema `keepsync`), so several workers can share the job.
 */

import { definePipeline, type Pipeline, type SyncRecord } from 'keepsync';
import * as jira from 'keepsync/connectors/jira';
import * as sql from 'keepsync/connectors/sql';

export interface WarehouseJobOptions {
  /** `https://<site>.atlassian.net` */
  readonly jiraUrl: string;
  readonly email: string;
  readonly apiToken: string;
  readonly project: string;
  /** The custom field holding story points (differs per site). */
  readonly storyPointsField: string;
  /** The warehouse database: `sql.postgresClient('postgres://…/warehouse')`; the caller closes it. */
  readonly warehouse: sql.SqlClient;
}

/** Issue fields -> the warehouse row (one row per issue id; `issue_key` changes on a move). */
export function toWarehouseRow(record: SyncRecord, storyPointsField: string): SyncRecord {
  const f = record.fields;
  return {
    key: record.key,
    fields: {
      issue_key: f.issueKey ?? null,
      project: f.project ?? null,
      summary: f.summary ?? null,
      status: f.status ?? null,
      assignee: f.assignee ?? null,
      priority: f.priority ?? null,
      created_at: f.created ?? null,
      updated_at: f.updated ?? null,
      story_points: typeof f[storyPointsField] === 'number' ? f[storyPointsField] : null,
      labels: Array.isArray(f.labels) ? f.labels.join(',') : '',
    },
  };
}

export function warehousePipeline(options: WarehouseJobOptions): Pipeline {
  return definePipeline({
    name: 'jira-warehouse-sync',
    source: jira.source({
      projects: [options.project],
      auth: { email: options.email, apiToken: options.apiToken },
      baseUrl: options.jiraUrl,
      fields: [options.storyPointsField],
    }),
    route: { transform: (record) => toWarehouseRow(record, options.storyPointsField) },
    destination: sql.destination({
      client: options.warehouse,
      table: 'warehouse.jira_issues',
      keyColumn: 'issue_id',
      createTable: true,
    }),
    schedule: { cron: '0 * * * *' },
  });
}
