import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import { isKeepsyncError, KeepsyncError } from '../model/index.js';
import { type ResolvedConfig, resolveConfig } from './config.js';

export const CONFIG_FILES = [
  'keepsync.config.ts',
  'keepsync.config.mts',
  'keepsync.config.js',
  'keepsync.config.mjs',
];
const CONNECTORS = [
  'memory',
  'files',
  'sql',
  'github',
  'notion',
  'asana',
  'jira',
  'contentful',
  'youtube',
  'luma',
  'keepsync',
];
/** src/ when run from source, dist/ when installed: the folder holding index and connectors/. */
const PACKAGE_ENTRY_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Finds the config file: the one named, else the first default name in `cwd`. */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path))
      throw new KeepsyncError('CONFIG_INVALID', `Config file ${explicit} does not exist`);
    return path;
  }
  for (const name of CONFIG_FILES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  throw new KeepsyncError(
    'CONFIG_INVALID',
    `No keepsync.config.ts in ${cwd}; run \`keepsync init\` to create one, or pass --config`,
  );
}

/** Loads a TypeScript or JavaScript config without a build step. */
export async function loadConfig(path: string): Promise<ResolvedConfig> {
  const jiti = createJiti(import.meta.url, {
    // Re-read on every load; the transpile cache is keyed by content, so it stays fresh.
    moduleCache: false,
    // A config's `import 'keepsync'` gets this very copy, wherever the config file lives.
    alias: { keepsync: PACKAGE_ENTRY_DIR },
  });
  let loaded: unknown;
  try {
    loaded = await jiti.import(path, { default: true });
  } catch (error) {
    throw explainLoadError(error, path);
  }
  return resolveConfig(loaded, path);
}

function explainLoadError(error: unknown, path: string): KeepsyncError {
  // A connector's own check (e.g. files.source({ dri })) already names the culprit.
  if (isKeepsyncError(error)) {
    return new KeepsyncError(error.code, `${path}: ${error.message}`, { cause: error });
  }
  const message = (error as Error)?.message ?? String(error);
  // jiti's parse errors end with "file:line:column" on a line of their own.
  const at = /^\s*(\S+):(\d+):(\d+)\s*$/m.exec(message);
  if (at) {
    const what = message
      .split('\n')[0]!
      .replace(/^ParseError: /, '')
      .trim();
    return new KeepsyncError(
      'CONFIG_INVALID',
      `${at[1]} line ${at[2]}, column ${at[3]}: syntax error: ${what}`,
      { cause: error },
    );
  }
  const connector = unknownConnectorIn(message);
  if (connector && !CONNECTORS.includes(connector)) {
    return new KeepsyncError(
      'CONNECTOR_UNKNOWN',
      `${path} uses an unknown connector \`${connector}\`; available: ${CONNECTORS.join(', ')}`,
      { cause: error },
    );
  }
  return new KeepsyncError(
    'CONFIG_INVALID',
    `${path} could not be loaded: ${message.split('\n')[0]}`,
    {
      cause: error,
    },
  );
}

/**
 * The connector named by a failed `keepsync/connectors/<name>` import: after the package name,
 * or after this package's own folder (the alias), never a `connectors/` folder elsewhere in
 * the install path.
 */
function unknownConnectorIn(message: string): string | undefined {
  const entry = PACKAGE_ENTRY_DIR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?:keepsync/|${entry})connectors/([\\w-]+)`);
  return pattern.exec(message)?.[1];
}
