import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { findPipeline, pauseUnits, requestSync, resumeUnits } from '../engine/index.js';
import { describeError, isKeepsyncError, type NeutralValue } from '../model/index.js';
import type { Store } from '../store/index.js';
import type { Logger } from '../sync/index.js';
import { resolveConflict } from '../twoway/index.js';
import { accessControl, assertBindAllowed } from './access.js';
import type { LiveProgress } from './live.js';
import { createPipelineMetrics } from './metrics.js';
import { buildOverview, type DashboardTask } from './overview.js';
import { DASHBOARD_PAGE } from './page.js';

export interface DashboardOptions {
  store: Store;
  /** The configured pipelines and two-way tasks; units of other names are not shown. */
  tasks: readonly DashboardTask[];
  /** Live progress of the engine in this process (`run --dashboard`). */
  live?: LiveProgress | undefined;
  /** The owner name of the engine in this process, shown on the page. */
  engine?: string | undefined;
  /** Required when listening beyond 127.0.0.1 (see `assertBindAllowed`). */
  token?: string | undefined;
  logger: Logger;
}

export interface DashboardListenOptions {
  /** @default 8788 (0: any free port) */
  port?: number | undefined;
  /** @default '127.0.0.1' */
  host?: string | undefined;
}

export interface Dashboard {
  /** The Web-standard handler, for tests and for mounting elsewhere. */
  fetch(request: Request): Promise<Response>;
  listen(options?: DashboardListenOptions): Promise<{ url: string; port: number }>;
  /** Stops listening. Idempotent; does not close the store. */
  close(): Promise<void>;
}

const unitBody = z.object({ unit: z.string().min(1).optional() }).strict();
const pauseBody = unitBody.extend({ reason: z.string().min(1).max(500).optional() }).strict();
const resolveBody = z.union([
  z.object({ take: z.enum(['left', 'right']) }).strict(),
  z.object({ take: z.literal('value'), value: z.json() }).strict(),
]);

/**
 * The dashboard: one static page over a JSON API and Prometheus `/metrics`, all read from the
 * store, so it works beside the engine (`run --dashboard`) or from another process.
 */
export async function createDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { store, tasks, live, logger } = options;
  const metrics = await createPipelineMetrics(store, tasks);
  const app = new Hono();
  const task = (name: string) => findPipeline(tasks, name);

  app.use('*', accessControl(options.token));
  app.onError((error, c) => {
    if (error instanceof z.ZodError) {
      return c.json({ error: `invalid request: ${z.prettifyError(error)}` }, 400);
    }
    if (isKeepsyncError(error) && error.code === 'NOT_FOUND') {
      return c.json({ error: error.message }, 404);
    }
    if (isKeepsyncError(error) && error.code === 'CONFIG_INVALID') {
      return c.json({ error: error.message }, 400);
    }
    logger.error({ path: c.req.path }, `dashboard request failed: ${describeError(error)}`);
    return c.json({ error: describeError(error) }, 500);
  });

  app.get('/', (c) => c.html(DASHBOARD_PAGE));
  app.get('/api/overview', async (c) =>
    c.json(await buildOverview(store, tasks, live, options.engine ?? null)),
  );
  app.get('/metrics', async (c) =>
    c.text(await metrics.render(), 200, { 'content-type': metrics.registry.contentType }),
  );
  app.post('/api/tasks/:name/sync', async (c) => {
    const { unit } = unitBody.parse(await body(c));
    const units = await requestSync(store, task(c.req.param('name')).name, unit, null);
    return c.json({ requested: units.map((state) => state.unit) });
  });
  app.post('/api/tasks/:name/pause', async (c) => {
    const { unit, reason } = pauseBody.parse(await body(c));
    const name = task(c.req.param('name')).name;
    const units = await pauseUnits(store, name, unit, reason ?? 'paused from the dashboard');
    return c.json({ paused: units.map((state) => state.unit) });
  });
  app.post('/api/tasks/:name/resume', async (c) => {
    const { unit } = unitBody.parse(await body(c));
    const units = await resumeUnits(store, task(c.req.param('name')).name, unit);
    return c.json({ resumed: units.map((state) => state.unit) });
  });
  // A retry re-reads the failed keys from the source: a targeted sync the engine holding the
  // unit's lease runs at once, as `keepsync trigger --keys` does.
  app.post('/api/tasks/:name/dead-letters/retry', async (c) => {
    const { unit } = unitBody.parse(await body(c));
    const name = task(c.req.param('name')).name;
    const letters = await store.listDeadLetters({ pipeline: name, unit });
    const byUnit = new Map<string, string[]>();
    for (const letter of letters)
      byUnit.set(letter.unit, [...(byUnit.get(letter.unit) ?? []), letter.key]);
    for (const [unitId, keys] of byUnit) await requestSync(store, name, unitId, keys);
    return c.json({ requested: [...byUnit].map(([unitId, keys]) => ({ unit: unitId, keys })) });
  });
  app.post('/api/conflicts/:id/resolve', async (c) => {
    const id = z.coerce.number().int().positive().parse(c.req.param('id'));
    const decision = resolveBody.parse(await body(c));
    const row = await resolveConflict(
      store,
      id,
      decision.take === 'value'
        ? { take: 'value', value: decision.value as NeutralValue }
        : decision,
    );
    return c.json(row);
  });

  const servers = new Set<Server>();
  return {
    fetch: async (request) => app.fetch(request),
    async listen(listenOptions = {}) {
      const host = listenOptions.host ?? '127.0.0.1';
      assertBindAllowed(host, options.token);
      const server = createAdaptorServer({ fetch: app.fetch }) as Server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listenOptions.port ?? 8788, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      servers.add(server);
      const port = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      return { url: `http://${shown}:${port}/`, port };
    },
    async close() {
      await Promise.all(
        [...servers].map(
          (server) =>
            new Promise<void>((resolve) => {
              servers.delete(server);
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

async function body(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new z.ZodError([
      { code: 'custom', path: [], message: 'the body is not JSON', input: text },
    ]);
  }
}
