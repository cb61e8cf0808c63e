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
import { openSqliteStore } from '../src/store/index.js';
import { type Destination, definePipeline, runPipeline, type Source } from '../src/sync/index.js';
import { FakeContentful, FakeJira, FakeRest, type FakeServer } from '../test/fakes/index.js';

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
let stores = 0;

async function measure(
  label: string,
  server: FakeServer,
  rps: number,
  burst: number,
  parts: { source: Source; destination: Destination; unit: string },
  readOnlyPosts: RegExp[],
) {
  const store = openSqliteStore({
    path: join(dir, `state-${++stores}.db`),
    secretKey: new Uint8Array(32).fill(4),
  });
  const pipeline = definePipeline({
    name: 'bench',
    source: parts.source,
    destination: parts.destination,
  });
  server.resetCounts();
  server.setRateLimit({ requestsPerSecond: rps, burst });
  // When each request arrived: the span from the first to the last is what the rate bounds;
  // the time before the first is start-up (loading the SDK).
  const arrivals: number[] = [];
  const log = server.requests;
  const push = log.push.bind(log);
  log.push = (...seen) => {
    arrivals.push(performance.now());
    return push(...seen);
  };
  const started = performance.now();
  const first = await runPipeline({ store, pipeline, unit: parts.unit });
  const seconds = (performance.now() - started) / 1000;
  const accepted = server.requests.filter((request) => request.status !== 429).length;
  const limited = server.count({ status: 429 });
  const bound = Math.max(0, accepted - burst) / rps;
  const firstRequestAt = ((arrivals[0] ?? started) - started) / 1000;
  const span = ((arrivals.at(-1) ?? started) - (arrivals[0] ?? started)) / 1000;
  log.push = push;
  server.resetCounts();
  const again = performance.now();
  const second = await runPipeline({ store, pipeline, unit: parts.unit });
  const idle = (performance.now() - again) / 1000;
  await store.close();
  console.log(
    JSON.stringify({
      label,
      status: first.status,
      created: first.stats.created,
      seconds: Number(seconds.toFixed(2)),
      lowerBoundSeconds: Number(bound.toFixed(2)),
      overBound: bound > 0 ? `${(((seconds - bound) / bound) * 100).toFixed(1)}%` : 'n/a',
      firstRequestAtSeconds: Number(firstRequestAt.toFixed(2)),
      requestSpanSeconds: Number(span.toFixed(2)),
      spanOverBound: bound > 0 ? `${(((span - bound) / bound) * 100).toFixed(1)}%` : 'n/a',
      requests: accepted + limited,
      refused429: limited,
      rerun: {
        status: second.status,
        written: second.stats.created + second.stats.updated,
        requests: server.requests.length,
        writes: server.writes(readOnlyPosts),
        ...(server.requests.length <= 5
          ? { paths: server.requests.map((request) => `${request.method} ${request.path}`) }
          : {}),
        seconds: Number(idle.toFixed(2)),
      },
    }),
  );
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
