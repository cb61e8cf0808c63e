export {
  type AlertConfig,
  defineConfig,
  type KeepsyncConfig,
  type ResolvedConfig,
  resolveConfig,
  type StoreConfig,
} from './config.js';
export type { EngineConfig } from './engine.js';
export { CONFIG_FILES, findConfigFile, loadConfig } from './load.js';
export type { ServerCollectionConfig, ServerConfig } from './server-config.js';
