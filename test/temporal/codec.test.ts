import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { aesGcmCodec, type CodecKey, parseCodecKeys } from '../../src/temporal/index.js';

const helper = join(import.meta.dirname, 'aes_gcm_payload.py');
const text = new TextEncoder();
const untext = new TextDecoder();

function key(id: string): CodecKey {
  return { id, key: new Uint8Array(randomBytes(32)) };
}

function jsonPayload(value: unknown): Payload {
  return {
    metadata: { encoding: text.encode('json/plain') },
    data: text.encode(JSON.stringify(value)),
  };
}

function metadataText(payload: Payload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([name, value]) => [name, untext.decode(value)]),
  );
}

/** Runs the independent Python implementation (the `cryptography` package's AES-GCM). */
function python(args: readonly string[]): string {
  try {
    return execFileSync(process.env.PYTHON ?? 'python3', [helper, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new Error(
      `The codec cross-check needs python3 with the cryptography package (pip install cryptography): ${stderr || (error as Error).message}`,
    );
  }
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

describe('the AES-256-GCM payload codec', () => {
  it('round-trips payloads and leaves no plaintext on the wire', async () => {
    const codec = aesGcmCodec({ keys: [key('k1')] });
    const original = jsonPayload({ refreshToken: 'secret-refresh-token', n: 1 });
    const [sealed] = await codec.encode([original]);
    expect(metadataText(sealed!)).toEqual({
      encoding: 'binary/encrypted',
      'encryption-key-id': 'k1',
    });
    const wire = Buffer.from(sealed!.data!);
    expect(wire.includes('secret-refresh-token')).toBe(false);
    expect(wire.includes('json/plain')).toBe(false);
    // A fresh nonce every time: the same payload never encrypts to the same bytes.
    const [again] = await codec.encode([original]);
    expect(Buffer.from(again!.data!).equals(wire)).toBe(false);
    const [opened] = await codec.decode([sealed!]);
    expect(metadataText(opened!)).toEqual({ encoding: 'json/plain' });
    expect(JSON.parse(untext.decode(opened!.data!))).toEqual({
      refreshToken: 'secret-refresh-token',
      n: 1,
    });
  });

  it('passes payloads in other encodings through, so older history stays readable', async () => {
    const codec = aesGcmCodec({ keys: [key('k1')] });
    const plain = jsonPayload('hello');
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('decrypts with old keys after rotation, and names a key it does not hold', async () => {
    const old = key('2026-11');
    const current = key('2026-12');
    const [sealedWithOld] = await aesGcmCodec({ keys: [old] }).encode([jsonPayload('before')]);
    const rotated = aesGcmCodec({ keys: [current, old] });
    const [opened] = await rotated.decode([sealedWithOld!]);
    expect(JSON.parse(untext.decode(opened!.data!))).toBe('before');
    const [sealedNow] = await rotated.encode([jsonPayload('after')]);
    expect(metadataText(sealedNow!)['encryption-key-id']).toBe('2026-12');
    await expect(aesGcmCodec({ keys: [current] }).decode([sealedWithOld!])).rejects.toThrow(
      /codec key 2026-11, which this codec does not hold/,
    );
  });

  it('refuses tampered ciphertext', async () => {
    const codec = aesGcmCodec({ keys: [key('k1')] });
    const [sealed] = await codec.encode([jsonPayload('x')]);
    const data = new Uint8Array(sealed!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow(/tampered/);
  });

  it('opens what durable-sync (Python, no key id) sealed, and Python opens what it seals', async () => {
    const shared = key('default');
    const codec = aesGcmCodec({ keys: [shared] });
    const payload = {
      metadata: { encoding: toBase64(text.encode('json/plain')) },
      data: toBase64(text.encode('{"token":"from-python"}')),
    };
    const sealedByPython = python(['seal', toBase64(shared.key), JSON.stringify(payload)]);
    const [opened] = await codec.decode([
      {
        metadata: { encoding: text.encode('binary/encrypted') },
        data: new Uint8Array(Buffer.from(sealedByPython, 'base64')),
      },
    ]);
    expect(metadataText(opened!)).toEqual({ encoding: 'json/plain' });
    expect(untext.decode(opened!.data!)).toBe('{"token":"from-python"}');

    const [sealedByUs] = await codec.encode([jsonPayload({ token: 'from-typescript' })]);
    const openedByPython = JSON.parse(
      python(['open', toBase64(shared.key), toBase64(sealedByUs!.data!)]),
    ) as { metadata: Record<string, string>; data: string };
    expect(Buffer.from(openedByPython.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(openedByPython.data, 'base64').toString())).toEqual({
      token: 'from-typescript',
    });
  });

  it('reads keys from one string and names the bad one', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');
    expect(parseCodecKeys(`new:${a}, old:${b}`).map((k) => k.id)).toEqual(['new', 'old']);
    expect(parseCodecKeys(a)[0]!.id).toBe('default');
    expect(() => parseCodecKeys(`new:${a},old:c2hvcnQ=`)).toThrow(
      /key 2 \(old\) of KEEPSYNC_CODEC_KEYS to be base64 of 32 bytes, got 5 bytes/,
    );
    expect(() => aesGcmCodec({ keys: [] })).toThrow(/at least one/);
  });
});
