import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  const native = await importNatively(path);
  return resolveConfig(native === NOT_NATIVE ? await importWithJiti(path) : native, path);
}

const NOT_NATIVE = Symbol('not native');

/** Errors Node raises before any of the config's code runs: jiti may still load it. */
const BEFORE_EVALUATION = new Set([
  'ERR_MODULE_NOT_FOUND',
  'ERR_PACKAGE_PATH_NOT_EXPORTED',
  'ERR_UNSUPPORTED_DIR_IMPORT',
  'ERR_UNKNOWN_FILE_EXTENSION',
]);

/**
 * A JavaScript config is imported by Node itself, which costs nothing next to loading jiti
 * (~300 ms of CPU), when every `keepsync` it imports resolves to this very copy; otherwise
 * (a TypeScript config, a keepsync found elsewhere or not at all) jiti loads it with its alias.
 */
async function importNatively(path: string): Promise<unknown> {
  const extension = extname(path);
  if (extension !== '.js' && extension !== '.mjs') return NOT_NATIVE;
  if (
    /\bfrom\s*['"]keepsync[/'"]|\bimport\s*\(?\s*['"]keepsync[/'"]/.test(readFileSync(path, 'utf8'))
  ) {
    if (!resolvesToThisCopy(path)) return NOT_NATIVE;
  }
  // The query makes an edited file a new module; an unchanged one is read once per process.
  const { mtimeMs, size } = statSync(path);
  const url = `${pathToFileURL(path).href}?v=${mtimeMs}-${size}`;
  try {
    const loaded = (await import(url)) as { default?: unknown };
    return loaded.default ?? loaded;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException)?.code;
    // jiti names the line of a syntax error; neither ran the config's code.
    if (error instanceof SyntaxError || (code !== undefined && BEFORE_EVALUATION.has(code))) {
      return NOT_NATIVE;
    }
    throw explainLoadError(error, path);
  }
}

function resolvesToThisCopy(configPath: string): boolean {
  try {
    const found = createRequire(configPath).resolve('keepsync');
    return realpathSync(found) === realpathSync(join(PACKAGE_ENTRY_DIR, 'index.js'));
  } catch {
    return false;
  }
}

async function importWithJiti(path: string): Promise<unknown> {
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, {
    // Re-read on every load; the transpile cache is keyed by content, so it stays fresh.
    moduleCache: false,
    // A config's `import 'keepsync'` gets this very copy, wherever the config file lives.
    alias: { keepsync: PACKAGE_ENTRY_DIR },
  });
  try {
    return await jiti.import(path, { default: true });
  } catch (error) {
    throw explainLoadError(error, path);
  }
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
