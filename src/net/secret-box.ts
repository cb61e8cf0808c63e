import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeepsyncError } from '../model/index.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

/** Encrypts secrets at rest with AES-256-GCM; each value gets its own random IV. */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

/**
 * @param key 32 bytes. `context` (e.g. the secret's name) is bound as additional data, so a
 * sealed value copied under another name does not decrypt.
 */
export function createSecretBox(key: Uint8Array): SecretBox {
  if (key.byteLength !== 32) {
    throw new KeepsyncError(
      'SECRET_INVALID',
      `Expected a 32-byte secret key, got ${key.byteLength} bytes`,
    );
  }
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
      return `${FORMAT}:${sealed}`;
    },
    open(sealed, context) {
      const [format, payload] = sealed.split(':', 2);
      if (format !== FORMAT || payload === undefined) {
        throw new KeepsyncError('SECRET_INVALID', `Secret ${context} is not in a known format`);
      }
      const raw = Buffer.from(payload, 'base64');
      if (raw.byteLength < IV_BYTES + TAG_BYTES) {
        throw new KeepsyncError('SECRET_INVALID', `Secret ${context} is truncated`);
      }
      // A fixed tag length: GCM would otherwise accept forgeable short tags.
      const decipher = createDecipheriv(ALGORITHM, key, raw.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch (error) {
        throw new KeepsyncError(
          'SECRET_INVALID',
          `Secret ${context} could not be decrypted: wrong key or tampered value`,
          { cause: error },
        );
      }
    },
  };
}

/** Reads a base64 32-byte key, naming where it came from when it is malformed. */
export function parseSecretKey(base64: string, origin: string): Uint8Array {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.byteLength !== 32) {
    throw new KeepsyncError(
      'SECRET_INVALID',
      `Expected ${origin} to hold a base64 32-byte key, got ${key.byteLength} bytes`,
    );
  }
  return key;
}

export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}
