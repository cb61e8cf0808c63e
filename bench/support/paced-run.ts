/**
 * The measurement every paced SaaS bench makes: a first sync against a fake that enforces the
 * service's limit, with keepsync paced at it, then a no-change re-run on the same store. Prints
 * one JSON line: wall time against the lower bound the limit sets, when the first request
 * arrived (start-up) and the span to the last (what the rate bounds), the over-limit answers,
 * and the re-run's requests and writes.
 */
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/index.js';
import {
  type Destination,
  definePipeline,
  runPipeline,
  type Source,
} from '../../src/sync/index.js';
import type { FakeServer } from '../../test/fakes/index.js';

export interface PacedRun {
  readonly label: string;
  readonly server: FakeServer;
  /** The folder for the run's SQLite store. */
  readonly dir: string;
  readonly requestsPerSecond: number;
  /** Requests the service lets start at once; the bound is (accepted − burst) / rate. @default 1 */
  readonly burst?: number;
  /** The status of an over-limit answer (YouTube's is a 403). @default 429 */
  readonly limitedStatus?: number;
  readonly parts: { source: Source; destination: Destination; unit: string };
  /** POSTs that only read (a search), not counted as writes. */
  readonly readOnlyPosts?: RegExp[];
  /** Figures of the first run to add to the line (read right after it). */
  readonly extra?: () => Record<string, unknown>;
}

let stores = 0;
const percent = (value: number, bound: number) =>
  bound > 0 ? `${(((value - bound) / bound) * 100).toFixed(1)}%` : 'n/a';

export async function measurePacedRun(run: PacedRun): Promise<void> {
  const { server, parts } = run;
  const burst = run.burst ?? 1;
  const limitedStatus = run.limitedStatus ?? 429;
  const store = openSqliteStore({
    path: join(run.dir, `state-${++stores}.db`),
    secretKey: new Uint8Array(32).fill(4),
  });
  const pipeline = definePipeline({
    name: 'bench',
    source: parts.source,
    destination: parts.destination,
  });
  server.resetCounts();
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
  log.push = push;
  const limited = server.count({ status: limitedStatus });
  const accepted = server.requests.length - limited;
  const bound = Math.max(0, accepted - burst) / run.requestsPerSecond;
  const firstRequestAt = ((arrivals[0] ?? started) - started) / 1000;
  const span = ((arrivals.at(-1) ?? started) - (arrivals[0] ?? started)) / 1000;
  const firstExtra = run.extra?.() ?? {};
  server.resetCounts();
  const again = performance.now();
  const second = await runPipeline({ store, pipeline, unit: parts.unit });
  const idle = (performance.now() - again) / 1000;
  await store.close();
  console.log(
    JSON.stringify({
      label: run.label,
      status: first.status,
      created: first.stats.created,
      seconds: Number(seconds.toFixed(2)),
      lowerBoundSeconds: Number(bound.toFixed(2)),
      overBound: percent(seconds, bound),
      firstRequestAtSeconds: Number(firstRequestAt.toFixed(2)),
      requestSpanSeconds: Number(span.toFixed(2)),
      spanOverBound: percent(span, bound),
      requests: accepted + limited,
      limited,
      ...firstExtra,
      rerun: {
        status: second.status,
        written: second.stats.created + second.stats.updated,
        unchanged: second.stats.unchanged,
        requests: server.requests.length,
        writes: server.writes(run.readOnlyPosts ?? []),
        ...(server.requests.length <= 5
          ? { paths: server.requests.map((request) => `${request.method} ${request.path}`) }
          : {}),
        seconds: Number(idle.toFixed(2)),
        ...(run.extra?.() ?? {}),
      },
    }),
  );
}
