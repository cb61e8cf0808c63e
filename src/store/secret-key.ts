import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { generateSecretKey, parseSecretKey } from '../net/index.js';

export interface SecretKeyOptions {
  /** 32 bytes; wins over everything else. */
  secretKey?: Uint8Array | undefined;
  /** A file holding the base64 key, created (mode 0600) when missing. */
  keyFile?: string | undefined;
}

/**
 * The key that encrypts secrets at rest: the explicit key, else KEEPSYNC_SECRET_KEY, else a
 * key file beside the store (created on first use and readable by its owner only).
 */
export function resolveSecretKey(options: SecretKeyOptions): Uint8Array | null {
  if (options.secretKey) return options.secretKey;
  const fromEnv = process.env.KEEPSYNC_SECRET_KEY;
  if (fromEnv) return parseSecretKey(fromEnv, 'KEEPSYNC_SECRET_KEY');
  if (!options.keyFile) return null;
  if (!existsSync(options.keyFile)) createKeyFile(options.keyFile);
  return parseSecretKey(readFileSync(options.keyFile, 'utf8'), options.keyFile);
}

/**
 * Two processes opening a new store at once (a worker and `keepsync run`) must end up with one
 * key, and neither may read the file half-written: the key is written whole under a name of
 * its own, then linked into place, which fails if the other process linked first.
 */
function createKeyFile(keyFile: string): void {
  const draft = `${keyFile}.${process.pid}.${Date.now()}.new`;
  writeFileSync(draft, `${generateSecretKey()}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}
