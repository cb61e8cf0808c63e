/**
 * Preloaded into a `keepsync run` daemon by bench/two-daemons.bench.ts (`--import`): measures
 * event-loop stalls with perf_hooks.monitorEventLoopDelay (10 ms resolution) and, to tell
 * start-up from steady state, also notes when each stall over 200 ms ended. Writes JSON to the
 * file named by KEEPSYNC_LOOP_REPORT when the process exits.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const report = process.env.KEEPSYNC_LOOP_REPORT;
if (report) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const stalls: Array<{ endedAtMs: number; ms: number }> = [];
  // Garbage-collection pauses, to tell them from waits on a lock.
  let gcMs = 0;
  let longestGcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      longestGcMs = Math.max(longestGcMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  let last = Date.now();
  setInterval(() => {
    const now = Date.now();
    if (now - last > 210) stalls.push({ endedAtMs: now, ms: now - last - 10 });
    last = now;
  }, 10).unref();
  process.on('exit', () => {
    histogram.disable();
    writeFileSync(
      report,
      JSON.stringify({
        maxStallMs: Math.round(histogram.max / 1e6),
        p99StallMs: Math.round(histogram.percentile(99) / 1e6),
        stalls,
        gcMs: Math.round(gcMs),
        longestGcMs: Math.round(longestGcMs),
      }),
    );
  });
}
