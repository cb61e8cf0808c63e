import { z } from 'zod';
import { KeepsyncError } from '../model/index.js';
import {
  definePipeline,
  describeIssues,
  type Pipeline,
  type PipelineOptions,
  type RunResult,
} from '../sync/index.js';
import { defineTwoWay, type TwoWayOptions, type TwoWayTask } from '../twoway/index.js';
import { type EngineConfig, engineSchema } from './engine.js';
import { type ServerConfig, serverConfigSchema } from './server-config.js';

export interface StoreConfig {
  /** Path of the SQLite file (the embedded default). @default '.keepsync/keepsync.db' */
  sqlite?: string | undefined;
  /** A PostgreSQL connection string, for a store shared by several machines. */
  postgres?: string | undefined;
}

export interface AlertConfig {
  /** Called after every finished run (the CLI's engine), e.g. to notify a chat. */
  onRunFinished?: ((result: RunResult) => void | Promise<void>) | undefined;
  /** Called when a run pauses its unit (re-authorization needed): a person must act. */
  onUnitPaused?: ((result: RunResult) => void | Promise<void>) | undefined;
  /** POSTs `{ event: 'run-finished' | 'unit-paused', run }` as JSON to this URL. */
  webhook?: string | undefined;
}

export interface KeepsyncConfig {
  store?: StoreConfig | undefined;
  /** Hooks that tell a person what happened. */
  alerts?: AlertConfig | undefined;
  engine?: EngineConfig | undefined;
  pipelines: readonly PipelineOptions[];
  /** Two-way tasks: two systems kept merged field by field; `keepsync run` runs them too. */
  twoWay?: readonly TwoWayOptions[] | undefined;
  /** What `keepsync serve` runs (see `ServerConfig`). */
  server?: ServerConfig | undefined;
}

export interface ResolvedConfig {
  readonly store: StoreConfig;
  readonly alerts: AlertConfig;
  readonly engine: EngineConfig;
  readonly pipelines: readonly Pipeline[];
  readonly twoWay: readonly TwoWayTask[];
  readonly server: ServerConfig | undefined;
}

/** Types a `keepsync.config.ts`; checking happens when keepsync loads it. */
export function defineConfig(config: KeepsyncConfig): KeepsyncConfig {
  return config;
}

const configSchema = z
  .object({
    store: z
      .object({ sqlite: z.string().min(1).optional(), postgres: z.string().min(1).optional() })
      .strict()
      .refine(
        (store) => !(store.sqlite && store.postgres),
        'choose either `sqlite` or `postgres`, not both',
      )
      .optional(),
    engine: engineSchema.optional(),
    alerts: z
      .object({
        onRunFinished: z.custom((value) => typeof value === 'function').optional(),
        onUnitPaused: z.custom((value) => typeof value === 'function').optional(),
        webhook: z.url().optional(),
      })
      .strict()
      .optional(),
    pipelines: z.array(z.object({ name: z.string() }).passthrough()),
    twoWay: z.array(z.object({ name: z.string() }).passthrough()).optional(),
    server: serverConfigSchema.optional(),
  })
  .strict();

/** Checks a loaded config; every problem names its place in the file. */
export function resolveConfig(value: unknown, origin: string): ResolvedConfig {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `${origin} is not a valid keepsync config: ${describeIssues(configSchema, parsed.error)}`,
    );
  }
  const config = value as KeepsyncConfig;
  const pipelines = config.pipelines.map((options, index) => {
    try {
      return definePipeline(options);
    } catch (error) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `${origin} pipelines[${index}]: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  });
  const twoWay = (config.twoWay ?? []).map((options, index) => {
    try {
      return defineTwoWay(options);
    } catch (error) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `${origin} twoWay[${index}]: ${(error as Error).message}`,
        { cause: error },
      );
    }
  });
  const seen = new Set<string>();
  for (const { name } of [...pipelines, ...twoWay]) {
    if (seen.has(name)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `${origin}: two pipelines or two-way tasks are named ${name}`,
      );
    }
    seen.add(name);
  }
  return {
    store: config.store ?? { sqlite: '.keepsync/keepsync.db' },
    alerts: config.alerts ?? {},
    engine: config.engine ?? {},
    pipelines,
    twoWay,
    server: config.server,
  };
}
