import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type Pino from 'pino';
import { findConfigFile, loadConfig, type ResolvedConfig } from '../config/index.js';
import { openSqliteStore, type Store } from '../store/index.js';
import type { Logger } from '../sync/index.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export interface CliContext {
  readonly config: ResolvedConfig;
  readonly configPath: string;
  readonly store: Store;
  readonly logger: Logger;
}

/** Loads the config and opens its store; the caller closes the store. */
export async function openContext(options: GlobalOptions): Promise<CliContext> {
  const configPath = findConfigFile(options.config);
  // Every relative path in a config (store, connector dirs and files) means the same thing
  // wherever keepsync is started from: relative to the config file.
  process.chdir(dirname(configPath));
  const config = await loadConfig(configPath);
  const store = await openConfiguredStore(config, dirname(configPath));
  let logger: Logger | undefined;
  return {
    config,
    configPath,
    store,
    // pino loads on the first command that logs: `status` and the other reports never do.
    get logger() {
      logger ??= createLogger();
      return logger;
    },
  };
}

/** Logs go to stderr so stdout stays clean for tables and --json. */
function createLogger(): Logger {
  const pino: typeof Pino = createRequire(import.meta.url)('pino');
  return pino({ level: process.env.KEEPSYNC_LOG_LEVEL ?? 'warn' }, pino.destination(2));
}

async function openConfiguredStore(config: ResolvedConfig, base: string): Promise<Store> {
  if (config.store.postgres) {
    const { openPostgresStore } = await import('../store/index.js');
    return openPostgresStore({ connectionString: config.store.postgres });
  }
  const path = resolve(base, config.store.sqlite ?? '.keepsync/keepsync.db');
  mkdirSync(dirname(path), { recursive: true });
  return openSqliteStore({ path });
}
