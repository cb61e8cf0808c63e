import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { createDashboard } from '../../src/dashboard/index.js';
import { Engine } from '../../src/engine/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { definePipeline, type Source, silentLogger } from '../../src/sync/index.js';
import { verifyPipeline } from '../../src/verify/index.js';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function store(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-metrics-'));
  const opened = openSqliteStore({ path: join(dir, 'state.db'), secretKey: new Uint8Array(32) });
  stores.push(opened);
  return opened;
}

/** A source whose second page waits for the test, so a run can be scraped in flight. */
function gatedSource(gate: Promise<void>): Source {
  const inner = memory.source({
    pageSize: 2,
    units: {
      all: [
        { key: 'a', fields: { n: 1 } },
        { key: 'b', fields: { n: 2 } },
        { key: 'c', fields: { n: 3 } },
        { key: 'bad', fields: { n: 1n as unknown as number } },
      ],
    },
  });
  return {
    ...inner,
    async *read(unit, options) {
      let page = 0;
      for await (const read of inner.read(unit, options)) {
        if (page++ === 1) await gate;
        yield read;
      }
    },
  };
}

/** One sample of the Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('pipeline metrics on /metrics', () => {
  it('shows the lease holder during a run, and the run by outcome, status and duration after it', async () => {
    const state = store();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const contacts = definePipeline({
      name: 'contacts',
      source: gatedSource(gate),
      destination: memory.destination(),
    });
    const engine = await Engine.create({
      store: state,
      pipelines: [contacts],
      owner: 'host-a:1:x',
    });
    const dashboard = await createDashboard({
      store: state,
      tasks: [{ name: 'contacts', kind: 'pipeline' }],
      logger: silentLogger,
    });
    const scrape = async () => {
      const response = await dashboard.fetch(new Request('http://127.0.0.1/metrics'));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return response.text();
    };
    const labels = '{pipeline="contacts",unit="all"}';

    const running = engine.runOnce();
    await expect
      .poll(async () =>
        sample(
          await scrape(),
          `keepsync_unit_lease_holder{pipeline="contacts",unit="all",holder="host-a:1:x"}`,
        ),
      )
      .toBe(1);
    const during = await scrape();
    expect(sample(during, 'keepsync_runs_total{pipeline="contacts",status="succeeded"}')).toBe(
      undefined,
    );
    expect(sample(during, `keepsync_seconds_since_last_success${labels}`)).toBe(undefined);
    open();
    await running;

    const after = await scrape();
    expect(sample(after, 'keepsync_runs_total{pipeline="contacts",status="succeeded"}')).toBe(1);
    expect(sample(after, 'keepsync_records_read_total{pipeline="contacts"}')).toBe(4);
    expect(
      sample(after, 'keepsync_records_written_total{pipeline="contacts",outcome="created"}'),
    ).toBe(3);
    expect(
      sample(after, 'keepsync_records_written_total{pipeline="contacts",outcome="failed"}'),
    ).toBe(1);
    expect(sample(after, 'keepsync_run_duration_seconds_count{pipeline="contacts"}')).toBe(1);
    expect(sample(after, 'keepsync_rate_limit_wait_seconds_total{pipeline="contacts"}')).toBe(0);
    expect(sample(after, 'keepsync_dead_letters{pipeline="contacts"}')).toBe(1);
    expect(sample(after, `keepsync_seconds_since_last_success${labels}`)).toBeGreaterThanOrEqual(0);
    expect(sample(after, `keepsync_unit_paused${labels}`)).toBe(0);
    expect(after).not.toMatch(/keepsync_unit_lease_holder\{/);

    // A scrape that finds nothing new counts nothing twice.
    expect(
      sample(await scrape(), 'keepsync_runs_total{pipeline="contacts",status="succeeded"}'),
    ).toBe(1);
    await dashboard.close();
  }, 60_000);

  it('counts from its own start, and leaves out pipelines no longer configured', async () => {
    const state = store();
    const pipeline = (name: string) =>
      definePipeline({
        name,
        source: memory.source({ units: { all: [{ key: 'a', fields: { n: 1 } }] } }),
        destination: memory.destination(),
      });
    const engine = await Engine.create({
      store: state,
      pipelines: [pipeline('contacts'), pipeline('renamed-away')],
    });
    await engine.runOnce();
    const dashboard = await createDashboard({
      store: state,
      tasks: [{ name: 'contacts', kind: 'pipeline' }],
      logger: silentLogger,
    });
    const scrape = async () =>
      (await dashboard.fetch(new Request('http://127.0.0.1/metrics'))).text();
    expect(
      sample(await scrape(), 'keepsync_runs_total{pipeline="contacts",status="succeeded"}'),
    ).toBe(undefined);
    await engine.runOnce();
    const text = await scrape();
    expect(sample(text, 'keepsync_runs_total{pipeline="contacts",status="succeeded"}')).toBe(1);
    expect(
      sample(text, 'keepsync_records_written_total{pipeline="contacts",outcome="unchanged"}'),
    ).toBe(1);
    expect(text).not.toContain('renamed-away');
    await dashboard.close();
  });

  it("shows the unit's latest verification: drift found, then repaired", async () => {
    const state = store();
    const destination = memory.destination();
    const contacts = definePipeline({
      name: 'contacts',
      source: memory.source({
        units: {
          all: ['a', 'b', 'c'].map((key) => ({ key, fields: { name: key.toUpperCase() } })),
        },
      }),
      destination,
    });
    await (await Engine.create({ store: state, pipelines: [contacts] })).runOnce();
    const dashboard = await createDashboard({
      store: state,
      tasks: [{ name: 'contacts', kind: 'pipeline' }],
      logger: silentLogger,
    });
    const scrape = async () =>
      (await dashboard.fetch(new Request('http://127.0.0.1/metrics'))).text();
    const series = (kind: string) =>
      `keepsync_drift_objects{pipeline="contacts",unit="all",kind="${kind}"}`;
    expect(await scrape()).not.toContain('keepsync_drift_objects{');

    const [first] = [...destination.objects.values()];
    first!.fields = { ...first!.fields, name: 'edited by hand' };
    await verifyPipeline({ store: state, pipeline: contacts, unit: 'all' });
    const found = await scrape();
    expect(sample(found, series('changed'))).toBe(1);
    expect(sample(found, series('missing'))).toBe(0);
    expect(sample(found, series('repaired'))).toBe(0);

    await verifyPipeline({ store: state, pipeline: contacts, unit: 'all', repair: true });
    const repaired = await scrape();
    expect(sample(repaired, series('changed'))).toBe(1);
    expect(sample(repaired, series('repaired'))).toBe(1);
    await dashboard.close();
  });
});
