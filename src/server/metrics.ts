import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DocumentStore } from './store/types.js';

/** The PRD's counters and gauges, on a registry of the server's own (never the global one). */
/** The label of collections outside the allow-list (or of every one without a list). */
const UNLISTED = '_unlisted';

/**
 * The PRD's counters and gauges, on a registry of the server's own (never the global one).
 * Collection labels come only from the configured allow-list: names a client chose would make
 * series without bound and show every tenant's names to whoever reads /metrics.
 */
export function createSyncMetrics(
  store: DocumentStore,
  prefix = 'sync_',
  allowed: ReadonlySet<string> | null = null,
) {
  const registry = new Registry();
  const registers = [registry];
  let oplogCache: { at: number; value: number } | null = null;
  const metrics = {
    registry,
    push: new Counter({
      name: `${prefix}push_total`,
      help: 'Push requests, by outcome',
      labelNames: ['status'] as const,
      registers,
    }),
    pushChanges: new Counter({
      name: `${prefix}push_changes_total`,
      help: 'Changes received in pushes',
      registers,
    }),
    pushDuration: new Histogram({
      name: `${prefix}push_duration_seconds`,
      help: 'Time to apply one push batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    conflicts: new Counter({
      name: `${prefix}conflict_total`,
      help: 'Conflicts detected, by collection (configured collections only)',
      labelNames: ['collection'] as const,
      registers,
    }),
    /** The label value for a collection. */
    collectionLabel: (collection: string) => (allowed?.has(collection) ? collection : UNLISTED),
    pull: new Counter({ name: `${prefix}pull_total`, help: 'Pull requests', registers }),
    pullServed: new Counter({
      name: `${prefix}pull_changes_served`,
      help: 'Changes returned by pulls and live streams',
      registers,
    }),
    fullResync: new Counter({
      name: `${prefix}full_resync_total`,
      help: 'Full resync requests',
      registers,
    }),
    resyncRequired: new Counter({
      name: `${prefix}full_resync_required_total`,
      help: 'Clients told their cursor is older than the retention horizon, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    websockets: new Gauge({
      name: `${prefix}websocket_connections`,
      help: 'Open WebSocket connections',
      registers,
    }),
    oplogSize: new Gauge({
      name: `${prefix}oplog_size`,
      help: 'Entries in the oplog',
      registers,
      async collect() {
        // Counting is a scan: cache it for a few seconds so scrapes stay cheap.
        const now = Date.now();
        if (!oplogCache || now - oplogCache.at > 5000) {
          oplogCache = { at: now, value: await store.countOplog().catch(() => -1) };
        }
        this.set(oplogCache.value);
      },
    }),
  };
  return metrics;
}

export type SyncMetrics = ReturnType<typeof createSyncMetrics>;
