import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as jira from '../../../src/connectors/jira/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeJira } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const auth = { email: 'dev@example.com', apiToken: 'jira_token' };

describe('jira destination', () => {
  let fake: FakeJira;
  let store: Store;
  beforeEach(async () => {
    fake = await new FakeJira({ indexLagMs: 200 }).start();
    fake.createProject('OPS');
    store = memoryStore();
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const run = (records: readonly SyncRecord[]) =>
    runPipeline({
      store,
      unit: 'all',
      pipeline: definePipeline({
        name: 'tickets',
        source: memory.source({ units: { all: records } }),
        destination: jira.destination({
          projectKey: 'OPS',
          issueType: 'Bug',
          auth,
          baseUrl: fake.url,
          fields: {
            title: 'summary',
            tags: 'labels',
            priority: 'priority',
            due: 'duedate',
            points: { customField: 'customfield_10016', type: 'number' },
          },
          requestsPerSecond: 500,
        }),
        retryMinDelayMs: 10,
      }),
    });

  it('creates each issue in one request, with the key as an entity property, labels without spaces and an ADF description', async () => {
    const result = await run([
      {
        key: 'T-1',
        fields: {
          title: 'Disk full',
          tags: ['on call', 'infra'],
          priority: 'High',
          due: new Date(Date.UTC(2026, 6, 4)),
          points: 3,
        },
        body: 'Host db-2 ran out of disk.\n\nClean up /var/log.',
      },
    ]);
    expect(result.stats).toMatchObject({ created: 1, failed: 0 });
    const [issue] = [...fake.issues.values()];
    expect(issue).toMatchObject({
      summary: 'Disk full',
      issuetype: 'Bug',
      labels: ['on_call', 'infra'],
      priority: 'High',
      duedate: '2026-07-04',
      custom: { customfield_10016: 3 },
    });
    expect(issue!.properties.get('keepsync')).toEqual({ key: 'T-1' });
    expect(jira.adfToText(issue!.description)).toBe(
      'Host db-2 ran out of disk.\n\nClean up /var/log.',
    );
    // Issue and key together: no second request that a crash could separate from the create.
    expect(fake.server.count({ method: 'PUT' })).toBe(0);
    expect(fake.server.count({ method: 'POST', path: /\/issue$/ })).toBe(1);
  });

  it('dead-letters a summary over 255 characters and a priority Jira does not have, naming record and field', async () => {
    const result = await run([
      { key: 'T-1', fields: { title: 'x'.repeat(300) } },
      { key: 'T-2', fields: { title: 'Fine', priority: 'Urgent' } },
      { key: 'T-3', fields: { title: 'Fine too' } },
    ]);
    expect(result.stats).toMatchObject({ created: 1, failed: 2 });
    const letters = await store.listDeadLetters({ pipeline: 'tickets' });
    const byKey = new Map(letters.map((letter) => [letter.key, letter.error]));
    expect(byKey.get('T-1')).toContain(
      'record T-1: field `title` cannot be written to Jira field `summary`',
    );
    expect(byKey.get('T-2')).toContain(
      'Jira POST /rest/api/3/issue failed with 400: priority: The priority selected is invalid.',
    );
    expect(byKey.get('T-2')).toContain('(record T-2)');
  });

  it('finds issues again by their entity property when the store lost its links', async () => {
    const records = Array.from({ length: 30 }, (_, index) => ({
      key: `T-${index}`,
      fields: { title: `Ticket ${index}` },
    }));
    await run(records);
    await store.close();
    store = memoryStore();
    // The search index has caught up: the fake's clock moves past its lag.
    fake.setClock(() => Date.now() + 1_000);
    const again = await run(
      records.map((record) => ({ ...record, fields: { title: `${record.fields.title}!` } })),
    );
    expect(again.stats).toMatchObject({ created: 0, updated: 30 });
    expect(fake.issues.size).toBe(30);
  });
});
