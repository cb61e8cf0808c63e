/**
 * Preloaded into a `keepsync run` daemon by bench/two-daemons.bench.ts (`--import`): records
 * the longest event-loop stall (perf_hooks.monitorEventLoopDelay, 10 ms resolution) and writes
 * it as JSON to the file named by KEEPSYNC_LOOP_REPORT when the process exits.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const report = process.env.KEEPSYNC_LOOP_REPORT;
if (report) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  process.on('exit', () => {
    histogram.disable();
    writeFileSync(
      report,
      JSON.stringify({
        maxStallMs: Math.round(histogram.max / 1e6),
        p99StallMs: Math.round(histogram.percentile(99) / 1e6),
      }),
    );
  });
}
