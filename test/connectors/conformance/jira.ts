import * as jira from '../../../src/connectors/jira/index.js';
import type { Destination } from '../../../src/sync/index.js';
import { FakeJira } from '../../fakes/index.js';
import type { DestinationHarness, SourceHarness, StoredObject } from './harness.js';

let accounts = 0;

async function startJira(options: { indexLagMs?: number } = {}) {
  const email = `dev${process.pid}_${++accounts}@example.com`;
  const apiToken = `jira_${accounts}`;
  const fake = await new FakeJira({ accounts: { [email]: apiToken }, ...options }).start();
  fake.createProject('ENG');
  return { fake, email, apiToken, auth: { email, apiToken } };
}

export const jiraSource: SourceHarness = {
  connector: 'jira',
  mode: 'incremental',
  gaps: {},
  async start() {
    const { fake, email, auth } = await startJira();
    // Issues a minute apart in the past; edits land later.
    let now = Date.UTC(2026, 0, 5, 9, 0);
    fake.setClock(() => now);
    return {
      server: fake.server,
      unit: 'project:ENG',
      listPath: /\/search\/jql$/,
      readOnlyPosts: [/\/search\/jql$/],
      source: ({ deletes } = {}) =>
        jira.source({
          projects: ['ENG'],
          auth,
          baseUrl: fake.url,
          pageSize: 25,
          requestsPerSecond: 500,
          // An incremental read never sees a deleted issue; a full pass does.
          mode: deletes ? 'full' : 'incremental',
        }),
      async seed(count) {
        return Array.from({ length: count }, (_, index) => {
          now += 60_000;
          return fake.addIssue('ENG', { summary: `Issue ${index}` }).id;
        });
      },
      async change(key) {
        now += 3_600_000;
        fake.editIssue(key, { summary: 'Changed by a person' });
      },
      async remove(key) {
        fake.deleteIssue(key);
      },
      revoke: () => fake.revokeAccount(email),
      close: () => fake.close(),
    };
  },
};

function jiraDestination(url: string, email: string, apiToken: string, rps: number) {
  return jira.destination({
    projectKey: 'ENG',
    auth: { email, apiToken },
    baseUrl: url,
    fields: { title: 'summary', n: { customField: 'customfield_10016', type: 'number' } },
    requestsPerSecond: rps,
    recoverWindowMs: 5_000,
  });
}

/** For the SIGKILL worker: `[url, email, apiToken]`. */
export function workerDestination([url, email, apiToken]: readonly string[]): Destination {
  return jiraDestination(url!, email!, apiToken!, 120);
}

export const jiraDestinationHarness: DestinationHarness = {
  connector: 'jira',
  gaps: {},
  workerModule: new URL('./jira.ts', import.meta.url).pathname,
  async start() {
    // Search shows a new issue only after a lag, as Jira's index does.
    const { fake, email, apiToken } = await startJira({ indexLagMs: 300 });
    return {
      server: fake.server,
      workerArgs: [fake.url, email, apiToken],
      destination: () => jiraDestination(fake.url, email, apiToken, 500),
      async objects() {
        const found = new Map<string, StoredObject[]>();
        for (const issue of fake.issues.values()) {
          const key = (issue.properties.get('keepsync') as { key?: string } | undefined)?.key ?? '';
          found.set(key, [...(found.get(key) ?? []), { title: issue.summary, archived: false }]);
        }
        return found;
      },
      revoke: () => fake.revokeAccount(email),
      createPath: { method: 'POST', path: /\/rest\/api\/3\/issue$/ },
      readOnlyPosts: [/\/search\/jql$/],
      deletes: 'delete',
      close: () => fake.close(),
    };
  },
};
