import { z } from 'zod';

/** Which engine runs the pipelines, and its settings. */
export interface EngineConfig {
  /**
   * `embedded`: this process runs the pipelines on its store. `temporal`: `keepsync run` starts
   * and signals the Temporal workflows, and `keepsync worker` runs them. @default 'embedded'
   */
  kind?: 'embedded' | 'temporal' | undefined;
  /** Embedded: pipelines run at once. @default 4 */
  concurrency?: number | undefined;
  /** The store lease of a run, on both engines. @default 60_000 */
  leaseTtlMs?: number | undefined;
  /** Embedded: how often the scheduler looks for due units. @default 1000 */
  pollIntervalMs?: number | undefined;
  /** Temporal: host:port of the frontend. @default TEMPORAL_ADDRESS or localhost:7233 */
  address?: string | undefined;
  /** Temporal: @default TEMPORAL_NAMESPACE or 'default' */
  namespace?: string | undefined;
  /** Temporal: the task queue of this deployment. @default KEEPSYNC_TASK_QUEUE or 'keepsync' */
  taskQueue?: string | undefined;
  /**
   * Temporal Cloud API key (turns TLS on). A secret: read it from the environment here, e.g.
   * `apiKey: process.env.TEMPORAL_API_KEY`. @default TEMPORAL_API_KEY
   */
  apiKey?: string | undefined;
  /** Temporal: mTLS client certificate and key files, relative to the config file. */
  tls?: { readonly certPath: string; readonly keyPath: string } | undefined;
  /** Temporal: the Worker Versioning build id of this deployment's workers. @default KEEPSYNC_BUILD_ID */
  buildId?: string | undefined;
  /** Temporal: the Worker Versioning deployment name. @default 'keepsync' */
  deploymentName?: string | undefined;
}

const TEMPORAL_ONLY = [
  'address',
  'namespace',
  'taskQueue',
  'apiKey',
  'tls',
  'buildId',
  'deploymentName',
] as const;
const EMBEDDED_ONLY = ['concurrency', 'pollIntervalMs'] as const;

export const engineSchema = z
  .object({
    kind: z.enum(['embedded', 'temporal']).optional(),
    concurrency: z.number().int().min(1).optional(),
    leaseTtlMs: z.number().int().min(1000).optional(),
    pollIntervalMs: z.number().int().min(10).optional(),
    address: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')
      .optional(),
    namespace: z.string().min(1).optional(),
    taskQueue: z.string().min(1).optional(),
    apiKey: z.string().min(1).optional(),
    tls: z
      .object({ certPath: z.string().min(1), keyPath: z.string().min(1) })
      .strict()
      .optional(),
    buildId: z.string().min(1).optional(),
    deploymentName: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((engine, context) => {
    const temporal = engine.kind === 'temporal';
    for (const key of temporal ? EMBEDDED_ONLY : TEMPORAL_ONLY) {
      if (engine[key] === undefined) continue;
      context.addIssue({
        code: 'custom',
        path: [key],
        message: temporal
          ? `\`${key}\` is a setting of the embedded engine; the Temporal engine's workers set their own`
          : `\`${key}\` is a setting of the Temporal engine: add kind: 'temporal'`,
      });
    }
  });
