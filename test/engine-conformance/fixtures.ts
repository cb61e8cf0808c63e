import * as memory from '../../src/connectors/memory/index.js';
import { QuotaExhaustedError, type SyncRecord } from '../../src/model/index.js';
import { definePipeline, type Pipeline, type Source } from '../../src/sync/index.js';

export const HOUR = 3_600_000;
/** How long the quota case's fake service stays out of quota. */
export const QUOTA_RESET_MS = 3_000;

export function records(prefix: string, count: number, title = 'v1'): SyncRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `${prefix}${index}`,
    fields: { title: `${title} ${prefix}${index}` },
  }));
}

/** The mutable world the pipelines read from and write to; each case owns one pipeline. */
export class ConformanceWorld {
  readonly rows: Record<string, SyncRecord[]> = {
    schedule: records('s', 2),
    keys: records('k', 3),
    pause: records('p', 2),
    auth: records('a', 2),
    status: records('t', 2),
    quota: records('q', 2),
  };
  authBroken = true;
  /** The quota case's service is out of quota until the case gives it back. */
  quotaExhausted = true;
  /** Every reset time the service announced (each refused call announces one). */
  readonly quotaResets: Date[] = [];

  readonly destinations = {
    schedule: memory.destination(),
    keys: memory.destination(),
    pause: memory.destination(),
    auth: memory.destination({
      fault: () =>
        this.authBroken ? { status: 'auth', error: 'token revoked by the provider' } : undefined,
    }),
    status: memory.destination(),
    quota: memory.destination(),
  };

  readonly pipelines: readonly Pipeline[] = [
    this.#pipeline('schedule', { everyMs: 1_500 }),
    this.#pipeline('keys', { everyMs: HOUR }, 2),
    this.#pipeline('pause', { everyMs: HOUR }),
    this.#pipeline('auth', { everyMs: HOUR }),
    this.#pipeline('status', { everyMs: HOUR }),
    definePipeline({
      name: 'conformance-quota',
      source: this.#quotaSource(),
      destination: this.destinations.quota,
      schedule: { everyMs: HOUR },
    }),
  ];

  #pipeline(
    name: keyof ConformanceWorld['destinations'],
    schedule: { everyMs: number },
    pageSize = 100,
  ): Pipeline {
    return definePipeline({
      name: `conformance-${name}`,
      source: memory.source({ units: { u: () => this.rows[name]! }, pageSize }),
      destination: this.destinations[name],
      schedule,
    });
  }

  /** Like YouTube: while the quota is used up, each call names the time it resets. */
  #quotaSource(): Source {
    const inner = memory.source({ units: { u: () => this.rows.quota! } });
    const world = this;
    return {
      ...inner,
      async *read(unit, options) {
        if (world.quotaExhausted) {
          const resetsAt = new Date(Date.now() + QUOTA_RESET_MS);
          world.quotaResets.push(resetsAt);
          throw new QuotaExhaustedError(
            'The request cannot be completed because you have exceeded your quota.',
            resetsAt,
          );
        }
        yield* inner.read(unit, options);
      },
    };
  }
}
