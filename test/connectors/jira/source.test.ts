import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as jira from '../../../src/connectors/jira/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import { isKeepsyncError } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, runPipeline } from '../../../src/sync/index.js';
import { FakeJira } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const auth = { email: 'dev@example.com', apiToken: 'jira_token' };

describe('jira source', () => {
  let fake: FakeJira;
  let store: Store;
  let now: number;
  beforeEach(async () => {
    // A user in New York: JQL dates are read five hours behind UTC in January.
    fake = await new FakeJira({ timeZone: 'America/New_York', indexLagMs: 5_000 }).start();
    fake.createProject('ENG');
    now = Date.UTC(2026, 0, 5, 15, 5, 0);
    fake.setClock(() => now);
    store = memoryStore();
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const pipeline = (
    target = memory.destination(),
    options: Partial<jira.JiraSourceOptions> = {},
  ) => ({
    target,
    pipeline: definePipeline({
      name: 'issues',
      source: jira.source({
        projects: ['ENG'],
        auth,
        baseUrl: fake.url,
        requestsPerSecond: 500,
        ...options,
      }),
      destination: target,
      retryMinDelayMs: 10,
    }),
  });

  it('reads issues updated in the cursor minute after the last run, and one the index showed late, in the user time zone', async () => {
    now += 30_000; // 15:05:30 UTC, 10:05:30 in New York
    const first = fake.addIssue('ENG', { summary: 'First' });
    now += 6_000;
    // Updated before the first issue (another node's clock), indexed after the run below.
    const late = fake.addIssue('ENG', {
      summary: 'Indexed late',
      updated: Date.UTC(2026, 0, 5, 15, 4, 50),
    });
    now += 2_000;
    const { target, pipeline: issues } = pipeline();
    const one = await runPipeline({ store, pipeline: issues, unit: 'project:ENG' });
    expect(one.stats.created).toBe(1);
    expect([...target.byKey().keys()]).toEqual([first.id]);

    now += 7_000; // 15:05:45: same minute as the cursor's mark
    const sameMinute = fake.addIssue('ENG', { summary: 'Same minute' });
    now += 10_000;
    const two = await runPipeline({ store, pipeline: issues, unit: 'project:ENG' });
    expect(two.stats).toMatchObject({ created: 2, updated: 0 });
    // The issue already read at its update time is skipped, not read again.
    expect(two.stats.read).toBe(2);
    expect([...target.byKey().keys()].sort()).toEqual([first.id, late.id, sameMinute.id].sort());
    expect(target.byKey().get(first.id)!.fields).toMatchObject({
      summary: 'First',
      issueKey: 'ENG-1',
      status: 'To Do',
      url: `${fake.url}/browse/ENG-1`,
    });
  });

  it('reads the description ADF as the record body', async () => {
    fake.addIssue('ENG', {
      summary: 'With text',
      description: jira.textToAdf('First paragraph\nsecond line\n\nAnother paragraph'),
    });
    now += 30_000;
    const { target, pipeline: issues } = pipeline();
    await runPipeline({ store, pipeline: issues, unit: 'project:ENG' });
    expect([...target.objects.values()][0]!.body).toBe(
      'First paragraph\nsecond line\n\nAnother paragraph',
    );
  });

  it('reads a targeted refresh of 250 ids in full, 100 ids per query', async () => {
    const ids = Array.from(
      { length: 260 },
      (_, index) => fake.addIssue('ENG', { summary: `Issue ${index}` }).id,
    );
    now += 30_000;
    const { target, pipeline: issues } = pipeline();
    fake.server.resetCounts();
    const result = await runPipeline({
      store,
      pipeline: issues,
      unit: 'project:ENG',
      keys: ids.slice(0, 250),
    });
    expect(result.stats.created).toBe(250);
    expect(target.byKey().size).toBe(250);
    expect(fake.server.count({ path: /\/search\/jql$/ })).toBe(3);
  });

  it('reads with an OAuth 2.0 (3LO) access token as a bearer token, and pauses when it is refused', async () => {
    const oauth = await new FakeJira({ accounts: {}, bearerTokens: ['atl_oauth'] }).start();
    try {
      oauth.createProject('ENG');
      oauth.addIssue('ENG', { summary: 'Via OAuth' });
      const read = (accessToken: string) =>
        runPipeline({
          store,
          unit: 'project:ENG',
          pipeline: definePipeline({
            name: `oauth-${accessToken}`,
            source: jira.source({
              projects: ['ENG'],
              auth: { accessToken, cloudId: 'c1' },
              baseUrl: oauth.url,
            }),
            destination: memory.destination(),
          }),
        });
      expect((await read('atl_oauth')).stats.created).toBe(1);
      const refused = await read('atl_expired');
      expect(refused.status).toBe('paused');
      expect(refused.pausedReason).toContain('Client must be authenticated');
    } finally {
      await oauth.close();
    }
  });

  it('refuses a query with its own ORDER BY, naming it', () => {
    let error: unknown;
    try {
      jira.source({ queries: { open: 'status = Open ORDER BY created' }, auth, baseUrl: fake.url });
    } catch (caught) {
      error = caught;
    }
    expect(isKeepsyncError(error) && error.code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toContain('jira query `open` has an ORDER BY');
  });
});

describe('ADF', () => {
  it('turns text into ADF paragraphs and hard breaks, and back', () => {
    const text = 'Line one\nline two\n\nSecond block';
    const adf = jira.textToAdf(text);
    expect(adf).toEqual({
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Line one' },
            { type: 'hardBreak' },
            { type: 'text', text: 'line two' },
          ],
        },
        { type: 'paragraph', content: [{ type: 'text', text: 'Second block' }] },
      ],
    });
    expect(jira.adfToText(adf)).toBe(text);
    expect(jira.adfToText(jira.textToAdf(''))).toBeNull();
  });

  it('reads lists, headings and mentions as text', () => {
    const doc = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Plan' }] },
        {
          type: 'bulletList',
          content: [
            {
              type: 'listItem',
              content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one' }] }],
            },
            {
              type: 'listItem',
              content: [
                { type: 'paragraph', content: [{ type: 'mention', attrs: { text: '@Ann' } }] },
              ],
            },
          ],
        },
      ],
    };
    expect(jira.adfToText(doc)).toBe('Plan\n\none\n\n@Ann');
  });
});
