/**
 * GitHub org -> Notion data source through the local fakes, with the fake Notion limited to
 * Notion's documented 3 requests/s. Measures the first sync against the lower bound the rate
 * limit sets, and counts the requests of a no-change re-run.
 *
 *   node --import tsx bench/github-notion.bench.ts --repos 2000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as github from '../src/connectors/github/index.js';
import * as notion from '../src/connectors/notion/index.js';
import { openSqliteStore } from '../src/store/index.js';
import { definePipeline, runPipeline } from '../src/sync/index.js';
import { FakeGitHub, FakeNotion } from '../test/fakes/index.js';

const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '2000' },
    rps: { type: 'string', default: '3' },
  },
});
const repos = Number(values.repos);
const rps = Number(values.rps);
const dir = mkdtempSync(join(tmpdir(), 'keepsync-bench-gh-notion-'));
const token = 'secret_bench';
const githubFake = await new FakeGitHub().start();
// Notion allows an average of 3 requests/s "with some bursts": a bucket of 3.
const notionFake = await new FakeNotion({
  tokens: [token],
  rateLimit: { requestsPerSecond: rps, burst: rps },
}).start();
githubFake.seedOrg('acme', repos);
const { dataSourceId } = notionFake.createDatabase('Repositories', {
  Name: { type: 'title' },
  'Repo ID': { type: 'rich_text' },
  Description: { type: 'rich_text' },
  Stars: { type: 'number' },
  Forks: { type: 'number' },
  Language: { type: 'select' },
  Topics: { type: 'multi_select' },
  Archived: { type: 'checkbox' },
  Pushed: { type: 'date' },
  URL: { type: 'url' },
});

const store = openSqliteStore({
  path: join(dir, 'state.db'),
  secretKey: new Uint8Array(32).fill(9),
});
const pipeline = definePipeline({
  name: 'repos',
  source: github.source({ orgs: ['acme'], auth: { token: 'ghp_test' }, baseUrl: githubFake.url }),
  destination: notion.destination({
    dataSourceId,
    auth: { token },
    baseUrl: notionFake.url,
    keyProperty: 'Repo ID',
    requestsPerSecond: rps,
    properties: {
      Name: { type: 'title', field: 'name' },
      Description: { type: 'rich_text', field: 'description' },
      Stars: { type: 'number', field: 'stars' },
      Forks: { type: 'number', field: 'forks' },
      Language: { type: 'select', field: 'language' },
      Topics: { type: 'multi_select', field: 'topics' },
      Archived: { type: 'checkbox', field: 'archived' },
      Pushed: { type: 'date', field: 'pushedAt' },
      URL: { type: 'url', field: 'url' },
    },
  }),
});

try {
  const started = performance.now();
  const first = await runPipeline({
    store,
    pipeline,
    unit: 'org:acme',
    onProgress: ({ stats }) => process.stderr.write(`\r${stats.created} pages created`),
  });
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write('\n');
  const notionRequests = notionFake.server.count();
  const githubRequests = githubFake.server.requests.length;
  const accepted = notionRequests - notionFake.server.count({ status: 429 });
  const bound = accepted / rps;
  const createBound = repos / rps;

  notionFake.server.resetCounts();
  githubFake.server.resetCounts();
  const rerunStarted = performance.now();
  const rerun = await runPipeline({ store, pipeline, unit: 'org:acme' });
  const rerunSeconds = (performance.now() - rerunStarted) / 1000;

  const pages = notionFake.pagesOf(dataSourceId).length;
  const report = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
    repos,
    notionRequestsPerSecond: rps,
    firstSync: {
      status: first.status,
      created: first.stats.created,
      pagesInNotion: pages,
      seconds: Number(seconds.toFixed(1)),
      notionRequests,
      notionRequestsRateLimited: notionRequests - accepted,
      githubRequests,
      lowerBoundSeconds: Number(bound.toFixed(1)),
      overLowerBound: `${(((seconds - bound) / bound) * 100).toFixed(1)}%`,
      createsOnlyBoundSeconds: Number(createBound.toFixed(1)),
      rateLimitWaitMs: first.stats.rateLimitWaitMs,
    },
    noChangeRerun: {
      status: rerun.status,
      seconds: Number(rerunSeconds.toFixed(2)),
      unchanged: rerun.stats.unchanged,
      notionRequests: notionFake.server.requests.map(
        (request) => `${request.method} ${request.path}`,
      ),
      notionWrites: notionFake.server.writes([/\/query$/]),
      githubRequests: githubFake.server.requests.length,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await store.close();
  await githubFake.close();
  await notionFake.close();
  rmSync(dir, { recursive: true, force: true });
}
