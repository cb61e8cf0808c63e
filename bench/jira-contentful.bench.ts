/**
 * First syncs of N records against the fake Jira and Contentful, each limited to a request
 * rate (a token bucket answering 429 above it), with keepsync paced at the same rate: wall time
 * against the lower bound the rate sets, 429s seen, and the requests of a no-change re-run.
 *
 *   node --import tsx bench/jira-contentful.bench.ts --records 2000 [--only jira-dest]
 *   node --import tsx bench/jira-contentful.bench.ts --only contentful-dest [--cmaRps 7] [--publish]
 *   node --import tsx bench/jira-contentful.bench.ts --only rest-source|rest-dest [--restRps 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as contentful from '../src/connectors/contentful/index.js';
import * as jira from '../src/connectors/jira/index.js';
import * as memory from '../src/connectors/memory/index.js';
import * as rest from '../src/connectors/rest/index.js';
import type { Destination, Source } from '../src/sync/index.js';
import { FakeContentful, FakeJira, FakeRest, type FakeServer } from '../test/fakes/index.js';
import { measurePacedRun } from './support/paced-run.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '2000' },
    jiraRps: { type: 'string', default: '10' },
    contentfulRps: { type: 'string', default: '55' },
    cmaRps: { type: 'string', default: '7' },
    /** The fake CMA's bucket: 7 = a per-second budget of 7; 1 = strictly spaced. */
    cmaBurst: { type: 'string' },
    publish: { type: 'boolean', default: false },
    restRps: { type: 'string', default: '10' },
    only: { type: 'string' },
  },
});
const records = Number(values.records);
const jiraRps = Number(values.jiraRps);
const contentfulRps = Number(values.contentfulRps);
const cmaRps = Number(values.cmaRps);
const restRps = Number(values.restRps);
const dir = mkdtempSync(join(tmpdir(), 'keepsync-bench-jira-cf-'));

/** One paced first sync and its re-run, the fake's bucket set to the rate keepsync keeps. */
function measure(
  label: string,
  server: FakeServer,
  rps: number,
  burst: number,
  parts: { source: Source; destination: Destination; unit: string },
  readOnlyPosts: RegExp[],
) {
  server.setRateLimit({ requestsPerSecond: rps, burst });
  return measurePacedRun({
    label,
    server,
    dir,
    requestsPerSecond: rps,
    burst,
    parts,
    readOnlyPosts,
  });
}

const auth = { email: 'bench@example.com', apiToken: 'jira_bench' };
const want = (name: string) => values.only === undefined || values.only === name;
try {
  if (want('jira-source')) {
    const fake = await new FakeJira({ accounts: { [auth.email]: auth.apiToken } }).start();
    fake.createProject('ENG');
    let now = Date.UTC(2026, 0, 1);
    fake.setClock(() => now);
    for (let index = 0; index < records; index++) {
      now += 60_000;
      fake.addIssue('ENG', { summary: `Issue ${index}`, labels: ['bench'] });
    }
    fake.setClock(Date.now);
    await measure(
      `jira source: ${records} issues -> memory at ${jiraRps} req/s`,
      fake.server,
      jiraRps,
      jiraRps,
      {
        source: jira.source({
          projects: ['ENG'],
          auth,
          baseUrl: fake.url,
          requestsPerSecond: jiraRps,
        }),
        destination: memory.destination(),
        unit: 'project:ENG',
      },
      [/\/search\/jql$/],
    );
    await fake.close();
  }
  if (want('jira-dest')) {
    const fake = await new FakeJira({
      accounts: { [auth.email]: auth.apiToken },
      indexLagMs: 500,
    }).start();
    fake.createProject('ENG');
    const rows = Array.from({ length: records }, (_, index) => ({
      key: `R-${index}`,
      fields: { title: `Record ${index}`, points: index % 13 },
    }));
    await measure(
      `jira destination: memory -> ${records} issues at ${jiraRps} req/s`,
      fake.server,
      jiraRps,
      jiraRps,
      {
        source: memory.source({ units: { all: rows }, pageSize: 100 }),
        destination: jira.destination({
          projectKey: 'ENG',
          auth,
          baseUrl: fake.url,
          fields: {
            title: 'summary',
            points: { customField: 'customfield_10016', type: 'number' },
          },
          requestsPerSecond: jiraRps,
        }),
        unit: 'all',
      },
      [/\/search\/jql$/],
    );
    await fake.close();
  }
  if (want('contentful-source')) {
    const fake = await new FakeContentful({ tokens: ['cda_bench'] }).start();
    for (let index = 0; index < records; index++) {
      fake.publish(`e${index}`, 'event', { title: { 'en-US': `Event ${index}` } });
    }
    await measure(
      `contentful source: ${records} entries -> memory at ${contentfulRps} req/s (sync pages of 100)`,
      fake.server,
      contentfulRps,
      1,
      {
        source: contentful.source({
          space: fake.space,
          accessToken: 'cda_bench',
          baseUrl: fake.url,
          pageSize: 100,
          requestsPerSecond: contentfulRps,
        }),
        destination: memory.destination(),
        unit: 'entries',
      },
      [],
    );
    await fake.close();
  }
  if (want('contentful-dest')) {
    const fake = await new FakeContentful({ managementTokens: ['cma_bench'] }).start();
    fake.management.defineContentType('event', [
      { id: 'title', type: 'Symbol', required: true },
      { id: 'rank', type: 'Integer' },
    ]);
    const rows = Array.from({ length: records }, (_, index) => ({
      key: `R-${index}`,
      fields: { title: `Record ${index}`, rank: index % 13 },
    }));
    await measure(
      `contentful destination: memory -> ${records} entries at ${cmaRps} req/s${values.publish ? ', published' : ''}`,
      fake.management.server,
      cmaRps,
      Number(values.cmaBurst ?? cmaRps),
      {
        source: memory.source({ units: { all: rows }, pageSize: 100 }),
        destination: contentful.destination({
          space: fake.space,
          accessToken: 'cma_bench',
          baseUrl: fake.managementUrl,
          contentType: 'event',
          fields: { title: 'title', rank: 'rank' },
          publish: values.publish,
          requestsPerSecond: cmaRps,
        }),
        unit: 'all',
      },
      [],
    );
    await fake.close();
  }
  if (want('rest-source')) {
    const fake = await new FakeRest({ paging: 'link' }).start();
    for (let index = 0; index < records; index++) fake.put(`i${index}`, `Item ${index}`);
    await measure(
      `rest source: ${records} items -> memory at ${restRps} req/s (Link header, 100 a page)`,
      fake.server,
      restRps,
      restRps,
      {
        source: rest.source({
          url: `${fake.url}/v1/items?per_page=100`,
          records: '',
          updated: 'updated_at',
          updatedParam: 'updated_since',
          pagination: { style: 'link' },
          headers: { Authorization: 'Bearer rest_test' },
          requestsPerSecond: restRps,
        }),
        destination: memory.destination(),
        unit: 'all',
      },
      [],
    );
    await fake.close();
  }
  if (want('rest-dest')) {
    const fake = await new FakeRest().start();
    const rows = Array.from({ length: records }, (_, index) => ({
      key: `R-${index}`,
      fields: { title: `Record ${index}`, rank: index % 13 },
    }));
    await measure(
      `rest destination: memory -> ${records} PUTs at ${restRps} req/s`,
      fake.server,
      restRps,
      restRps,
      {
        source: memory.source({ units: { all: rows }, pageSize: 100 }),
        destination: rest.destination({
          url: `${fake.url}/v1/items/{key}`,
          headers: { Authorization: 'Bearer rest_test' },
          requestsPerSecond: restRps,
        }),
        unit: 'all',
      },
      [],
    );
    await fake.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
