import { describe, expect, it } from 'vitest';
import * as asana from '../../src/connectors/asana/index.js';
import * as contentful from '../../src/connectors/contentful/index.js';
import * as files from '../../src/connectors/files/index.js';
import * as github from '../../src/connectors/github/index.js';
import * as jira from '../../src/connectors/jira/index.js';
import * as keepsync from '../../src/connectors/keepsync/index.js';
import * as luma from '../../src/connectors/luma/index.js';
import * as memory from '../../src/connectors/memory/index.js';
import * as notion from '../../src/connectors/notion/index.js';
import * as rest from '../../src/connectors/rest/index.js';
import * as sql from '../../src/connectors/sql/index.js';
import * as youtube from '../../src/connectors/youtube/index.js';
import { KeepsyncError } from '../../src/model/index.js';

// Nothing below connects: every factory checks its options when called, before any I/O.
const sqlClient = { dialect: 'sqlite', query: async () => [], transaction: async () => {} };
const documentStore = {};
const jiraAuth = { email: 'ada@example.com', apiToken: 't' };
const jiraSite = 'https://example.atlassian.net';

interface Factory {
  /** How the error names the factory. */
  readonly where: string;
  readonly make: (options: never) => unknown;
  /** The least a config must give. */
  readonly valid: Record<string, unknown>;
  /** A misspelt key, and the option it should be taken for. */
  readonly typo: readonly [string, string];
}

const FACTORIES: readonly Factory[] = [
  {
    where: 'asana.destination',
    make: asana.destination,
    valid: { projectGid: '1', auth: { token: 't', type: 'oauth' }, fields: { title: 'name' } },
    typo: ['requestsPerSecnd', 'requestsPerSecond'],
  },
  {
    where: 'contentful.source',
    make: contentful.source,
    valid: { space: 's', accessToken: 't' },
    typo: ['contentType', 'contentTypes'],
  },
  {
    where: 'contentful.source({ api: "management" })',
    make: contentful.source,
    valid: { api: 'management', space: 's', accessToken: 't' },
    typo: ['pagesize', 'pageSize'],
  },
  {
    where: 'contentful.destination',
    make: contentful.destination,
    valid: { space: 's', accessToken: 't', contentType: 'c', fields: { title: 'title' } },
    typo: ['publsh', 'publish'],
  },
  {
    where: 'contentful.mcpDestination',
    make: contentful.mcpDestination,
    valid: {
      auth: { token: 't' },
      space: 's',
      contentType: 'c',
      keyField: 'key',
      fields: { title: 'title' },
    },
    typo: ['bodyFeild', 'bodyField'],
  },
  {
    where: 'files.source',
    make: files.source,
    valid: { dir: 'records' },
    typo: ['nmae', 'name'],
  },
  {
    where: 'files.destination',
    make: files.destination,
    valid: { dir: 'records' },
    typo: ['fromat', 'format'],
  },
  {
    where: 'files.twoWaySide',
    make: files.twoWaySide,
    valid: { dir: 'records' },
    typo: ['fromat', 'format'],
  },
  {
    where: 'github.source',
    make: github.source,
    valid: { orgs: ['acme'], auth: { token: 't' } },
    typo: ['perpage', 'perPage'],
  },
  {
    where: 'jira.source',
    make: jira.source,
    valid: { projects: ['ENG'], auth: jiraAuth, baseUrl: jiraSite },
    typo: ['pageSzie', 'pageSize'],
  },
  {
    where: 'jira.destination',
    make: jira.destination,
    valid: { projectKey: 'ENG', auth: jiraAuth, baseUrl: jiraSite, fields: { title: 'summary' } },
    typo: ['issuetype', 'issueType'],
  },
  {
    where: 'keepsync.source',
    make: keepsync.source,
    valid: { store: documentStore, scope: 'tenant' },
    typo: ['colections', 'collections'],
  },
  {
    where: 'keepsync.destination',
    make: keepsync.destination,
    valid: { store: documentStore, scope: 'tenant', collection: 'notes' },
    typo: ['actr', 'actor'],
  },
  {
    where: 'keepsync.twoWaySide',
    make: keepsync.twoWaySide,
    valid: { store: documentStore, scope: 'tenant', collection: 'notes' },
    typo: ['pageSzie', 'pageSize'],
  },
  {
    where: 'luma.source',
    make: luma.source,
    valid: { apiKey: 'k' },
    typo: ['lookbackDay', 'lookbackDays'],
  },
  {
    where: 'luma.destination',
    make: luma.destination,
    valid: { apiKey: 'k' },
    typo: ['timeZone', 'timezone'],
  },
  {
    where: 'memory.source',
    make: memory.source,
    valid: { units: { all: [] } },
    typo: ['pageSzie', 'pageSize'],
  },
  {
    where: 'memory.destination',
    make: memory.destination,
    valid: {},
    typo: ['keepKeys', 'keepsKeys'],
  },
  {
    where: 'memory.table',
    make: memory.table,
    valid: {},
    typo: ['mdoe', 'mode'],
  },
  {
    where: 'notion.source',
    make: notion.source,
    valid: { dataSourceIds: ['d'], auth: { token: 't' } },
    typo: ['keyPropery', 'keyProperty'],
  },
  {
    where: 'notion.destination',
    make: notion.destination,
    valid: { dataSourceId: 'd', auth: { token: 't' }, properties: { Name: 'title' } },
    typo: ['createMissingProperty', 'createMissingProperties'],
  },
  {
    where: 'notion.mcpDestination',
    make: notion.mcpDestination,
    valid: {
      auth: { token: 't' },
      dataSourceId: 'd',
      keyProperty: 'Key',
      properties: { title: 'Name' },
    },
    typo: ['archivePropety', 'archiveProperty'],
  },
  {
    where: 'rest.source',
    make: rest.source,
    valid: { url: 'https://api.example.com/items' },
    typo: ['header', 'headers'],
  },
  {
    where: 'rest.destination',
    make: rest.destination,
    valid: { url: 'https://api.example.com/items/{key}' },
    typo: ['methd', 'method'],
  },
  {
    where: 'sql.source',
    make: sql.source,
    valid: { client: sqlClient, table: 'contacts', cursorColumn: 'updated_at' },
    typo: ['keyColum', 'keyColumn'],
  },
  {
    where: 'sql.destination',
    make: sql.destination,
    valid: { client: sqlClient, table: 'contacts' },
    typo: ['jsonColum', 'jsonColumn'],
  },
  {
    where: 'sql.twoWaySide',
    make: sql.twoWaySide,
    valid: { client: sqlClient, table: 'contacts', cursorColumn: 'updated_at' },
    typo: ['createTabel', 'createTable'],
  },
  {
    where: 'youtube.source',
    make: youtube.source,
    valid: { channels: ['@keepsync'], apiKey: 'k' },
    typo: ['lookbackDay', 'lookbackDays'],
  },
];

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('every connector factory refuses an unknown option, naming it and the option meant', () => {
  for (const { where, make, valid, typo } of FACTORIES) {
    const [misspelt, meant] = typo;

    it(`${where} takes its minimal options`, () => {
      expect(() => make(valid as never)).not.toThrow();
    });

    it(`${where} refuses \`${misspelt}\`, suggesting \`${meant}\``, () => {
      const error = thrownBy(() => make({ ...valid, [misspelt]: 1 } as never));
      expect(error).toBeInstanceOf(KeepsyncError);
      expect((error as KeepsyncError).code).toBe('CONFIG_INVALID');
      expect((error as KeepsyncError).message).toContain(
        `${where}: unknown option \`${misspelt}\` (did you mean \`${meant}\`?)`,
      );
    });
  }
});
