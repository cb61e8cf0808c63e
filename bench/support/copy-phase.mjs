// One phase of bench/copy.bench.ts: a copy through the built library (dist/), as the keepsync
// CLI runs it, in a process without the TypeScript loader, so its peak RSS is the product's.
import { boundCopyHeapGrowth } from '../../dist/cli/copy-heap.js';
import { copyResources } from '../../dist/copy/index.js';

// The heap growth bound the copy command sets; KEEPSYNC_BENCH_HEAP=default runs without it.
if (process.env.KEEPSYNC_BENCH_HEAP !== 'default') {
  boundCopyHeapGrowth({ execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS });
}

const [origin, destination] = process.argv.slice(2);
const started = performance.now();
const summary = await copyResources({ origins: [origin], destination });
const seconds = (performance.now() - started) / 1000;
if (summary.failed.length > 0) throw new Error(`${summary.failed.length} failed`);
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    seconds,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    read: summary.read,
    written: summary.creates.length + summary.updates.length,
    unchanged: summary.unchanged,
    peakRssMb: Math.round(usage.maxRSS / 1024),
  }),
);
