import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { KeepsyncError } from '../model/index.js';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

/** durable-sync's wire format, so Python and TypeScript workers can share a namespace. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Which key sealed a payload; durable-sync's payloads have none (they try the keys in order). */
export const KEY_ID_METADATA = 'encryption-key-id';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export interface CodecKey {
  /** Short name stored in each payload's metadata, e.g. `2026-12`. */
  readonly id: string;
  /** 32 bytes (AES-256). */
  readonly key: Uint8Array;
}

export interface AesGcmCodecOptions {
  /** The first key encrypts; every key decrypts, so old history stays readable after rotation. */
  readonly keys: readonly CodecKey[];
}

/**
 * AES-256-GCM over the whole serialised Payload (metadata and data): data = 12-byte nonce,
 * ciphertext, 16-byte tag; encoding `binary/encrypted`. Payloads in another encoding pass
 * through untouched, so history written before encryption stays readable.
 */
export function aesGcmCodec(options: AesGcmCodecOptions): PayloadCodec {
  const keys = options.keys;
  if (keys.length === 0) {
    throw new KeepsyncError('CONFIG_INVALID', 'Expected at least one payload codec key');
  }
  const ids = new Set<string>();
  for (const { id, key } of keys) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected codec key id ${JSON.stringify(id)} to be 1-64 letters, digits, '_', '.' or '-'`,
      );
    }
    if (key.length !== 32) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected codec key ${id} to be 32 bytes (AES-256), got ${key.length}`,
      );
    }
    if (ids.has(id))
      throw new KeepsyncError('CONFIG_INVALID', `Codec key id ${id} is listed twice`);
    ids.add(id);
  }
  const current = keys[0]!;

  return {
    async encode(payloads) {
      return payloads.map((payload) => seal(payload, current));
    },
    async decode(payloads) {
      return payloads.map((payload) => {
        const metadata = payload.metadata ?? {};
        if (decodeText(metadata.encoding) !== ENCRYPTED_ENCODING) return payload;
        const keyId = decodeText(metadata[KEY_ID_METADATA]);
        const candidates = keyId ? keys.filter((key) => key.id === keyId) : keys;
        if (candidates.length === 0) {
          throw new KeepsyncError(
            'SECRET_INVALID',
            `A payload was encrypted with codec key ${keyId}, which this codec does not hold; add it to the keys (old keys keep decrypting)`,
          );
        }
        for (const candidate of candidates) {
          const opened = open(payload.data ?? new Uint8Array(), candidate.key);
          if (opened) return opened;
        }
        throw new KeepsyncError(
          'SECRET_INVALID',
          `A payload could not be decrypted with ${keyId ? `codec key ${keyId}` : 'any codec key'}: wrong key or tampered data`,
        );
      });
    },
  };
}

function seal(payload: Payload, { id, key }: CodecKey): Payload {
  const plain = PayloadMessage.encode(payload).finish();
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const data = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return {
    metadata: {
      encoding: textEncoder.encode(ENCRYPTED_ENCODING),
      [KEY_ID_METADATA]: textEncoder.encode(id),
    },
    data: new Uint8Array(data),
  };
}

function open(data: Uint8Array, key: Uint8Array): Payload | null {
  if (data.length < NONCE_BYTES + TAG_BYTES) return null;
  const nonce = data.subarray(0, NONCE_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(tag);
  try {
    const plain = Buffer.concat([
      decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)),
      decipher.final(),
    ]);
    const inner = PayloadMessage.decode(plain);
    return { metadata: inner.metadata ?? {}, data: inner.data ?? new Uint8Array() };
  } catch {
    return null;
  }
}

function decodeText(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? textDecoder.decode(bytes) : undefined;
}

/**
 * Parses codec keys from one string such as an environment variable: `id:base64key`, comma
 * separated, the encrypting key first. A bare base64 key (durable-sync's DURABLE_SYNC_ENC_KEY)
 * gets the id `default`.
 */
export function parseCodecKeys(text: string, source = 'KEEPSYNC_CODEC_KEYS'): CodecKey[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, index) => {
      const separator = entry.indexOf(':');
      const id = separator === -1 ? 'default' : entry.slice(0, separator);
      const encoded = separator === -1 ? entry : entry.slice(separator + 1);
      const key = new Uint8Array(Buffer.from(encoded, 'base64'));
      if (key.length !== 32) {
        throw new KeepsyncError(
          'CONFIG_INVALID',
          `Expected key ${index + 1} (${id}) of ${source} to be base64 of 32 bytes, got ${key.length} bytes`,
        );
      }
      return { id, key };
    });
}
