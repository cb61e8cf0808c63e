import * as github from '../../src/connectors/github/index.js';
import * as notion from '../../src/connectors/notion/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { definePipeline, runPipeline } from '../../src/sync/index.js';

// argv: state db, GitHub fake URL, Notion fake URL, data source id, Notion token
const [statePath, githubUrl, notionUrl, dataSourceId, token] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];

const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(5) });
const pipeline = definePipeline({
  name: 'repos',
  source: github.source({
    orgs: ['acme'],
    auth: { token: 'ghp_test' },
    baseUrl: githubUrl,
    perPage: 50,
  }),
  destination: notion.destination({
    dataSourceId,
    auth: { token },
    baseUrl: notionUrl,
    keyProperty: 'Repo ID',
    properties: {
      Name: { type: 'title', field: 'name' },
      Stars: { type: 'number', field: 'stars' },
    },
    requestsPerSecond: 150,
    concurrency: 4,
  }),
});
process.stdout.write('READY\n');
const result = await runPipeline({ store, pipeline, unit: 'org:acme' });
await store.close();
process.stdout.write(`DONE ${result.status} ${JSON.stringify(result.stats)}\n`);
process.exit(result.status === 'succeeded' ? 0 : 1);
