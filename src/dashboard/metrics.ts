import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { followRuns, reportUnits } from '../engine/index.js';
import type { RunRow, Store } from '../store/index.js';
import { listConflicts } from '../twoway/index.js';
import type { DashboardTask } from './overview.js';

const WRITE_OUTCOMES = ['created', 'updated', 'unchanged', 'deleted', 'failed', 'refused'] as const;
const DRIFT_KINDS = ['missing', 'changed', 'extra', 'repaired'] as const;
/** Runs looked at on start for ones still running (their finish counts). */
const RECENT_RUNS = 500;
/** Runs searched back for a unit's last success. */
const SUCCESS_LOOKBACK = 200;

/** Every metric, by the name the code uses: its kind, Prometheus name, help and labels. */
const METRICS = {
  read: {
    kind: 'counter',
    name: 'keepsync_records_read_total',
    help: 'Records read from sources by finished runs',
    labelNames: ['pipeline'],
  },
  written: {
    kind: 'counter',
    name: 'keepsync_records_written_total',
    help: 'Records of finished runs by outcome (created, updated, unchanged, deleted, failed, refused)',
    labelNames: ['pipeline', 'outcome'],
  },
  runs: {
    kind: 'counter',
    name: 'keepsync_runs_total',
    help: 'Finished runs by status',
    labelNames: ['pipeline', 'status'],
  },
  duration: {
    kind: 'histogram',
    name: 'keepsync_run_duration_seconds',
    help: 'Duration of finished runs',
    labelNames: ['pipeline'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
  },
  rateLimitWait: {
    kind: 'counter',
    name: 'keepsync_rate_limit_wait_seconds_total',
    help: 'Time finished runs spent waiting on rate limits (429, Retry-After, own limiter)',
    labelNames: ['pipeline'],
  },
  deadLetters: {
    kind: 'gauge',
    name: 'keepsync_dead_letters',
    help: 'Records in the dead letters',
    labelNames: ['pipeline'],
  },
  conflicts: {
    kind: 'gauge',
    name: 'keepsync_open_conflicts',
    help: 'Two-way conflicts waiting for a decision',
    labelNames: ['task'],
  },
  sinceSuccess: {
    kind: 'gauge',
    name: 'keepsync_seconds_since_last_success',
    help: "Seconds since the unit's last successful run finished (absent: none yet)",
    labelNames: ['pipeline', 'unit'],
  },
  paused: {
    kind: 'gauge',
    name: 'keepsync_unit_paused',
    help: '1 while the unit is paused',
    labelNames: ['pipeline', 'unit'],
  },
  drift: {
    kind: 'gauge',
    name: 'keepsync_drift_objects',
    help: "Objects the unit's latest verification found drifted (missing, changed, extra) and repaired",
    labelNames: ['pipeline', 'unit', 'kind'],
  },
  leaseHolder: {
    kind: 'gauge',
    name: 'keepsync_unit_lease_holder',
    help: 'A live lease on the unit, labelled with the engine holding it',
    labelNames: ['pipeline', 'unit', 'holder'],
  },
} as const satisfies Record<string, MetricDefinition>;

interface MetricDefinition {
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

/** The prom-client type a definition makes, with its label names. */
type MetricOf<D extends MetricDefinition> = D['kind'] extends 'counter'
  ? Counter<D['labelNames'][number]>
  : D['kind'] extends 'gauge'
    ? Gauge<D['labelNames'][number]>
    : Histogram<D['labelNames'][number]>;

type Metrics = { readonly [K in keyof typeof METRICS]: MetricOf<(typeof METRICS)[K]> };

function registerMetrics(registry: Registry): Metrics {
  const registers = [registry];
  const made = Object.entries(METRICS).map(([id, definition]: [string, MetricDefinition]) => {
    const configuration = {
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames,
      registers,
    };
    const metric =
      definition.kind === 'counter'
        ? new Counter(configuration)
        : definition.kind === 'gauge'
          ? new Gauge(configuration)
          : new Histogram({ ...configuration, buckets: [...(definition.buckets ?? [])] });
    return [id, metric] as const;
  });
  return Object.fromEntries(made) as unknown as Metrics;
}

export interface PipelineMetrics {
  readonly registry: Registry;
  /** Catches up with the store, then renders the Prometheus text. */
  render(): Promise<string>;
}

/**
 * Pipeline metrics on a registry of their own. They describe the store, not this process: the
 * counters follow the runs table (every engine's runs, from this process's start), the gauges
 * are read from it at each scrape. Labels are the configured pipeline and unit names (the
 * holder's name for the lease): a bounded set, and runs of pipelines no longer configured are
 * left out.
 */
export async function createPipelineMetrics(
  store: Store,
  tasks: readonly DashboardTask[],
): Promise<PipelineMetrics> {
  const registry = new Registry();
  const metrics = registerMetrics(registry);
  const names = new Set(tasks.map((task) => task.name));
  const { read, written, runs, duration, rateLimitWait } = metrics;
  const { deadLetters, conflicts, sinceSuccess, paused, drift, leaseHolder } = metrics;

  const observe = (run: RunRow) => {
    if (!names.has(run.pipeline) || !run.finishedAt) return;
    const pipeline = run.pipeline;
    read.inc({ pipeline }, run.stats.read);
    for (const outcome of WRITE_OUTCOMES) written.inc({ pipeline, outcome }, run.stats[outcome]);
    runs.inc({ pipeline, status: run.status });
    duration.observe({ pipeline }, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
    rateLimitWait.inc({ pipeline }, run.stats.rateLimitWaitMs / 1000);
  };

  // Counters start at this process's start: runs finished before it are history, not news.
  const recent = await store.listRuns({ limit: RECENT_RUNS });
  const feed = followRuns(store, {
    afterId: recent[0]?.id ?? 0,
    unfinished: recent.filter((run) => !run.finishedAt).map((run) => run.id),
  });

  async function countFinishedRuns(): Promise<void> {
    for (const run of (await feed.poll()).finished) observe(run);
  }

  async function readGauges(): Promise<void> {
    const now = new Date();
    const units = (await reportUnits(store, now)).filter((unit) => names.has(unit.pipeline));
    deadLetters.reset();
    for (const task of tasks) deadLetters.set({ pipeline: task.name }, 0);
    for (const letter of await store.listDeadLetters({})) {
      if (names.has(letter.pipeline)) deadLetters.inc({ pipeline: letter.pipeline });
    }
    conflicts.reset();
    const twoWay = tasks.filter((task) => task.kind === 'two-way');
    if (twoWay.length) {
      for (const task of twoWay) conflicts.set({ task: task.name }, 0);
      for (const row of await listConflicts(store, { states: ['open'] })) {
        if (names.has(row.task)) conflicts.inc({ task: row.task });
      }
    }
    sinceSuccess.reset();
    paused.reset();
    drift.reset();
    leaseHolder.reset();
    for (const unit of units) {
      const labels = { pipeline: unit.pipeline, unit: unit.unit };
      paused.set(labels, unit.paused ? 1 : 0);
      const found = unit.lastVerify?.stats.drift;
      if (found) {
        for (const kind of DRIFT_KINDS) drift.set({ ...labels, kind }, found[kind]);
      }
      if (unit.leaseOwner && unit.leaseExpiresAt && unit.leaseExpiresAt > now) {
        leaseHolder.set({ ...labels, holder: unit.leaseOwner }, 1);
      }
      const recent = await store.listRuns({ ...labels, limit: SUCCESS_LOOKBACK });
      const success = recent.find((run) => run.status === 'succeeded' && run.finishedAt);
      if (success?.finishedAt) {
        sinceSuccess.set(labels, (now.getTime() - success.finishedAt.getTime()) / 1000);
      }
    }
  }

  // One scrape at a time: two following the runs table at once would count a run twice.
  let previous: Promise<unknown> = Promise.resolve();
  return {
    registry,
    render() {
      const next = previous
        .catch(() => undefined)
        .then(async () => {
          await countFinishedRuns();
          await readGauges();
          return registry.metrics();
        });
      previous = next;
      return next;
    },
  };
}
