/**
 * GitHub org -> Notion data source through the local fakes, with the fake Notion limited to
 * Notion's documented 3 requests/s. Measures the first sync against the lower bound the rate
 * limit sets, and counts the requests of a no-change re-run.
 *
 * With the realistic fakes (the default; `--plain` turns them off): Notion queries see a new
 * page only `--lag-ms` after its create, and the GitHub listing shifts between page requests
 * (a repository of page 1 is deleted while page 2 is asked for, in full mode with deletes).
 * Afterwards it counts duplicate pages, wrong deletes (pages trashed whose repository still
 * exists) and repositories missing in Notion.
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
    'lag-ms': { type: 'string', default: '2000' },
    plain: { type: 'boolean', default: false },
  },
});
const realistic = !values.plain;
const lagMs = Number(values['lag-ms']);
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
let shifted: number | undefined;
if (realistic) {
  notionFake.setQueryLag(lagMs);
  // Once: while page 2 is asked for, a repository listed on page 1 is deleted.
  githubFake.beforeListPage = ({ page }) => {
    if (page !== 2 || shifted !== undefined) return;
    shifted = [...githubFake.repos.keys()].sort((a, b) => a - b)[0]!;
    githubFake.repos.delete(shifted);
  };
}
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
  source: github.source({
    orgs: ['acme'],
    auth: { token: 'ghp_test' },
    baseUrl: githubFake.url,
    ...(realistic ? { mode: 'full' as const } : {}),
  }),
  ...(realistic ? { deletes: 'delete' as const } : {}),
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
  // Counted over the pages as Notion holds them, live and trashed.
  const live = notionFake.pagesOf(dataSourceId).filter((page) => !page.in_trash);
  const keyOf = (page: (typeof live)[number]) =>
    String(FakeNotion.plain(page.properties['Repo ID']));
  const perKey = new Map<string, number>();
  for (const page of live) perKey.set(keyOf(page), (perKey.get(keyOf(page)) ?? 0) + 1);
  const existing = new Set([...githubFake.repos.keys()].map(String));
  const trashed = notionFake.pagesOf(dataSourceId).filter((page) => page.in_trash);
  const fidelity = {
    realisticFakes: realistic,
    queryLagMs: realistic ? lagMs : 0,
    repositoryDeletedMidListing: shifted ?? null,
    duplicatePages: [...perKey.values()].reduce((sum, count) => sum + count - 1, 0),
    wrongDeletes: trashed.filter((page) => existing.has(keyOf(page))).length,
    missingInNotion: [...existing].filter((key) => !perKey.has(key)).length,
    deletedRepositoryStillLive: shifted !== undefined && perKey.has(String(shifted)),
  };
  const report = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
    repos,
    notionRequestsPerSecond: rps,
    fidelity,
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
    // With the realistic fakes the second run also writes what the shifted listing hid and deleted.
    secondRun: {
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
