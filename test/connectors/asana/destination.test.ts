import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as asana from '../../../src/connectors/asana/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, REAUTHORIZE, runPipeline } from '../../../src/sync/index.js';
import { FakeAsana } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';
import {
  expectForbiddenRecordDeadLettered,
  expectOutageFailsThenHeals,
} from '../destination-scenarios.js';
import { outages } from '../outages.js';

let tokens = 0;

function issues(count: number, version = 1): SyncRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `ISSUE-${index}`,
    fields: {
      title: `Issue ${index}`,
      points: index * version,
      priority: ['High', 'Low'][index % 2]!,
      labels: ['bug', 'ui'].slice(0, (index % 2) + 1),
      due: new Date(Date.UTC(2026, 6, 1 + (index % 28))),
      done: index % 5 === 0,
    },
    body: `Details of issue ${index}`,
  }));
}

describe('asana destination', () => {
  let fake: FakeAsana;
  let project: string;
  let token: string;
  let store: Store;

  beforeEach(async () => {
    token = `pat_${process.pid}_${++tokens}`;
    fake = await new FakeAsana({ oauthTokens: [token] }).start();
    project = fake.createProject([
      { name: 'Points', resource_subtype: 'number' },
      {
        name: 'Priority',
        resource_subtype: 'enum',
        enum_options: [
          { gid: '', name: 'High', enabled: true },
          { gid: '', name: 'Low', enabled: true },
        ],
      },
      {
        name: 'Labels',
        resource_subtype: 'multi_enum',
        enum_options: [
          { gid: '', name: 'bug', enabled: true },
          { gid: '', name: 'ui', enabled: true },
        ],
      },
      { name: 'Due', resource_subtype: 'date' },
      { name: 'Source key', resource_subtype: 'text' },
    ]);
    store = memoryStore();
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const pipelineFor = (
    records: () => readonly SyncRecord[],
    extra: Partial<asana.AsanaDestinationOptions> = {},
    writeRetries?: number,
  ) =>
    definePipeline({
      name: 'issues',
      source: memory.source({ units: { all: records }, pageSize: 50 }),
      destination: asana.destination({
        projectGid: project,
        auth: { token, type: 'oauth' },
        basePath: fake.basePath,
        fields: {
          title: 'name',
          done: 'completed',
          points: { customField: 'Points' },
          priority: { customField: 'Priority' },
          labels: { customField: 'Labels' },
          due: { customField: 'Due' },
        },
        requestsPerSecond: 500,
        ...extra,
      }),
      retryMinDelayMs: 10,
      writeRetries,
    });

  it('finds custom fields past the first page of custom_field_settings (pages of 2)', async () => {
    await fake.close();
    fake = await new FakeAsana({ oauthTokens: [token], maxPageSize: 2 }).start();
    project = fake.createProject([
      { name: 'Points', resource_subtype: 'number' },
      { name: 'Owner', resource_subtype: 'text' },
      { name: 'Team', resource_subtype: 'text' },
      { name: 'Area', resource_subtype: 'text' },
      { name: 'Due', resource_subtype: 'date' },
    ]);
    const records = issues(3);
    const pipeline = definePipeline({
      name: 'issues',
      source: memory.source({ units: { all: records } }),
      destination: asana.destination({
        projectGid: project,
        auth: { token, type: 'oauth' },
        basePath: fake.basePath,
        fields: { title: 'name', due: { customField: 'Due' } },
        requestsPerSecond: 500,
      }),
      retryMinDelayMs: 10,
    });
    const result = await runPipeline({ store, pipeline, unit: 'all' });
    expect(result.error).toBeNull();
    expect(fake.server.count({ path: /custom_field_settings$/ })).toBe(3);
    const task = fake.tasksOf(project).find((candidate) => candidate.external?.gid === 'ISSUE-2')!;
    expect(fake.valueOf(task, 'Due')).toEqual({ date: '2026-07-03' });
  });

  it('creates tasks with custom fields and the key in external.gid, then writes nothing when unchanged', async () => {
    const records = issues(130);
    const pipeline = pipelineFor(() => records);
    const first = await runPipeline({ store, pipeline, unit: 'all' });
    expect(first.stats.created).toBe(130);
    const tasks = fake.tasksOf(project);
    expect(tasks).toHaveLength(130);
    const task = tasks.find((candidate) => candidate.external?.gid === 'ISSUE-3')!;
    expect(task.name).toBe('Issue 3');
    expect(task.notes).toBe('Details of issue 3');
    expect(fake.valueOf(task, 'Points')).toBe(3);
    const priority = fake.valueOf(task, 'Priority');
    const high = [...fake.fields.values()].find((field) => field.name === 'Priority')!
      .enum_options!;
    expect(priority).toBe(high.find((option) => option.name === 'Low')!.gid);
    expect(fake.valueOf(task, 'Labels')).toHaveLength(2);
    expect(fake.valueOf(task, 'Due')).toEqual({ date: '2026-07-04' });

    fake.server.resetCounts();
    const second = await runPipeline({ store, pipeline, unit: 'all' });
    expect(second.stats).toMatchObject({ created: 0, updated: 0, unchanged: 130 });
    expect(fake.server.writes()).toBe(0);
  });

  it('finds tasks again by their key over several pages when the store lost its links', async () => {
    const records = issues(230);
    await runPipeline({ store, pipeline: pipelineFor(() => records), unit: 'all' });
    const fresh = memoryStore();
    const changed = issues(230, 2);
    fake.server.resetCounts();
    const result = await runPipeline({
      store: fresh,
      pipeline: pipelineFor(() => changed),
      unit: 'all',
    });
    await fresh.close();
    expect(result.stats).toMatchObject({ created: 0, updated: 230 });
    expect(fake.tasksOf(project)).toHaveLength(230);
    // The project is listed once per session, 100 tasks a page (offset pagination).
    expect(fake.server.count({ method: 'GET', path: /\/tasks$/ })).toBe(3);
  });

  it('keeps the key in a text custom field when asked (works with any token)', async () => {
    const records = issues(5);
    await runPipeline({
      store,
      pipeline: pipelineFor(() => records, { key: { customField: 'Source key' } }),
      unit: 'all',
    });
    const task = fake.tasksOf(project)[0]!;
    expect(task.external).toBeNull();
    expect(fake.valueOf(task, 'Source key')).toMatch(/^ISSUE-\d$/);
  });

  it('refuses a missing custom field before any write, and dead-letters a value that does not fit', async () => {
    const missing = await runPipeline({
      store,
      pipeline: pipelineFor(() => issues(3), {
        fields: { title: 'name', size: { customField: 'Size' } },
      }),
      unit: 'all',
    });
    expect(missing.status).toBe('failed');
    expect(missing.error).toContain('custom field `Size` is not on project');
    expect(fake.server.writes()).toBe(0);

    const records = issues(3);
    records[1] = { ...records[1]!, fields: { ...records[1]!.fields, priority: 'Urgent' } };
    const result = await runPipeline({ store, pipeline: pipelineFor(() => records), unit: 'all' });
    expect(result.stats).toMatchObject({ created: 2, failed: 1 });
    const [letter] = await store.listDeadLetters({ pipeline: 'issues' });
    expect(letter!.error).toContain(
      'record ISSUE-1: field `priority` cannot be written to Asana custom field `Priority` (enum): expected one of its options (High, Low)',
    );
  });

  it('waits out 429s with Retry-After and writes every task once', async () => {
    fake.server.setRateLimit({ requestsPerSecond: 20, burst: 5 });
    const records = issues(20);
    const result = await runPipeline({ store, pipeline: pipelineFor(() => records), unit: 'all' });
    expect(result.status).toBe('succeeded');
    expect(result.stats.rateLimitWaitMs).toBeGreaterThan(0);
    expect(fake.server.count({ status: 429 })).toBeGreaterThan(0);
    const keys = fake.tasksOf(project).map((task) => task.external?.gid);
    expect(new Set(keys).size).toBe(20);
    expect(keys).toHaveLength(20);
  });

  it('does not duplicate a task whose create was applied but whose answer was lost', async () => {
    fake.server.inject({ kind: 'drop', method: 'POST', path: /\/tasks$/ });
    fake.server.inject({ kind: 'status', status: 502, method: 'POST', path: /\/tasks$/ });
    const records = issues(4);
    const result = await runPipeline({ store, pipeline: pipelineFor(() => records), unit: 'all' });
    expect(result.stats.created).toBe(4);
    const keys = fake.tasksOf(project).map((task) => task.external?.gid);
    expect(keys.sort()).toEqual(records.map((record) => record.key).sort());
  });

  for (const outage of outages({ method: 'POST', path: /\/tasks$/ })) {
    it(`fails the run on ${outage.name} and keeps the cursor, dead-lettering nothing; the next run writes the rest once`, async () => {
      const records = issues(60);
      await expectOutageFailsThenHeals({
        outage,
        server: fake.server,
        store,
        pipeline: pipelineFor(() => records, { timeoutMs: 300, retries: 1 }, 1),
        firstPage: 50,
        rest: 10,
        heldKeys: () => fake.tasksOf(project).map((task) => task.external?.gid),
        expectedKeys: records.map((record) => record.key),
      });
    });
  }
  it('dead-letters the record of a task the token may not change (403), writing the others', async () => {
    let records = issues(4);
    await expectForbiddenRecordDeadLettered({
      store,
      pipeline: pipelineFor(() => records),
      key: 'ISSUE-1',
      forbid: (gid) => fake.forbid(gid),
      change: () => {
        records = issues(4, 2);
      },
      updated: 2,
      error: /Forbidden/,
    });
  });

  it("refuses a text custom field value over Asana's 1,024 characters, naming the record and field", async () => {
    const records = issues(2).map((record, index) => ({
      ...record,
      fields: { ...record.fields, note: index === 0 ? 'x'.repeat(1025) : 'short' },
    }));
    const result = await runPipeline({
      store,
      pipeline: pipelineFor(() => records, {
        fields: { title: 'name', note: { customField: 'Source key' } },
      }),
      unit: 'all',
    });
    expect(result.stats.created).toBe(1);
    expect(result.stats.failed).toBe(1);
    const [letter] = await store.listDeadLetters({ pipeline: 'issues' });
    expect(letter!.error).toContain(
      'record ISSUE-0: field `note` holds 1025 characters; Asana custom field `Source key` (text) takes at most 1024',
    );
  });

  it('pauses with "re-authorize" when the token is refused', async () => {
    fake.revokeToken(token);
    const result = await runPipeline({
      store,
      pipeline: pipelineFor(() => issues(3)),
      unit: 'all',
    });
    expect(result.status).toBe('paused');
    expect(result.pausedReason).toContain(REAUTHORIZE);
    expect(result.pausedReason).toContain('Not Authorized');
    expect(fake.server.writes()).toBe(0);
  });
});

/** Asana keeps `external` per OAuth app ("OAuth Required"); a personal access token has none. */
describe('asana destination with a personal access token', () => {
  let fake: FakeAsana;
  let project: string;
  const pat = `pat_personal_${process.pid}`;
  const oauth = `oauth_app_${process.pid}`;

  beforeEach(async () => {
    fake = await new FakeAsana({ tokens: [pat], oauthTokens: [oauth] }).start();
    project = fake.createProject([{ name: 'Source key', resource_subtype: 'text' }]);
  });
  afterEach(async () => {
    await fake.close();
  });

  async function call(token: string, method: string, path: string, body?: unknown) {
    const response = await fetch(`${fake.basePath}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: Record<string, unknown> },
    };
  }

  it('the fake, like Asana, neither stores nor returns `external` for a personal access token', async () => {
    const byPat = await call(pat, 'POST', '/tasks?opt_fields=external', {
      data: { name: 'A', projects: [project], external: { gid: 'A-1' } },
    });
    expect(byPat.status).toBe(201);
    expect(byPat.body.data!.external).toBeUndefined();
    expect((await call(pat, 'GET', '/tasks/external:A-1')).status).toBe(404);
    expect((await call(oauth, 'GET', '/tasks/external:A-1')).status).toBe(404);
    const byApp = await call(oauth, 'POST', '/tasks', {
      data: { name: 'B', projects: [project], external: { gid: 'B-1' } },
    });
    expect((await call(oauth, 'GET', '/tasks/external:B-1')).status).toBe(200);
    // The app's data is its own: a personal access token does not see it.
    expect((await call(pat, 'GET', '/tasks/external:B-1')).status).toBe(404);
    const seen = await call(pat, 'GET', `/tasks/${byApp.body.data!.gid}?opt_fields=external`);
    expect(seen.body.data!.external).toBeUndefined();
  });

  const options = (
    extra: Partial<asana.AsanaDestinationOptions>,
  ): asana.AsanaDestinationOptions => ({
    projectGid: project,
    auth: { token: pat },
    basePath: fake.basePath,
    fields: { title: 'name' },
    requestsPerSecond: 500,
    ...extra,
  });

  it('refuses the default key and `key: external` with a personal access token, naming the option', () => {
    expect(() => asana.destination(options({}))).toThrow(
      /asana.destination needs `key` with a personal access token.*customField/,
    );
    expect(() => asana.destination(options({ key: 'external' }))).toThrow(
      /`key: 'external'` needs an OAuth app's access token/,
    );
    expect(() =>
      asana.destination(options({ auth: { token: pat, type: 'oauth' }, key: 'external' })),
    ).not.toThrow();
  });

  it('finds its tasks again by the custom field key with a personal access token: no duplicates after the store lost its links', async () => {
    const records = issues(4);
    const pipeline = definePipeline({
      name: 'issues',
      source: memory.source({ units: { all: () => records } }),
      destination: asana.destination(options({ key: { customField: 'Source key' } })),
      retryMinDelayMs: 10,
    });
    for (let run = 0; run < 2; run++) {
      const store = memoryStore();
      try {
        const result = await runPipeline({ store, pipeline, unit: 'all' });
        expect(result.error).toBeNull();
      } finally {
        await store.close();
      }
    }
    expect(fake.tasksOf(project)).toHaveLength(4);
  });
});
