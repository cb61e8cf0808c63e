import type { EngineConfig } from '../config/index.js';

/** The command-line flags of `keepsync worker` and `keepsync temporal …`. */
export interface TemporalFlags {
  readonly address?: string | undefined;
  readonly namespace?: string | undefined;
  readonly taskQueue?: string | undefined;
  readonly buildId?: string | undefined;
}

/**
 * What resolveTemporalTarget takes (it fills the rest from the environment). Spelt out here:
 * the CLI's start-up must not reach the Temporal SDK (test/temporal/boundaries.test.ts).
 */
export interface TemporalTargetSettings {
  readonly address: string | undefined;
  readonly namespace: string | undefined;
  readonly apiKey: string | undefined;
  readonly tlsCertPath: string | undefined;
  readonly tlsKeyPath: string | undefined;
}

export interface TemporalSettings {
  readonly target: TemporalTargetSettings;
  readonly taskQueue: string;
  readonly buildId: string | undefined;
  readonly deploymentName: string | undefined;
}

/**
 * Where the Temporal engine runs: a flag wins over the config's `engine` section, which wins
 * over the environment (TEMPORAL_ADDRESS, KEEPSYNC_TASK_QUEUE, ...), which wins over defaults.
 */
export function temporalSettings(
  engine: EngineConfig,
  flags: TemporalFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): TemporalSettings {
  return {
    target: {
      address: flags.address ?? engine.address,
      namespace: flags.namespace ?? engine.namespace,
      apiKey: engine.apiKey,
      tlsCertPath: engine.tls?.certPath,
      tlsKeyPath: engine.tls?.keyPath,
    },
    taskQueue: flags.taskQueue ?? engine.taskQueue ?? env.KEEPSYNC_TASK_QUEUE ?? 'keepsync',
    buildId: flags.buildId ?? engine.buildId ?? env.KEEPSYNC_BUILD_ID,
    deploymentName: engine.deploymentName,
  };
}
