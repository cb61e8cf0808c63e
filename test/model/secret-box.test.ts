import { describe, expect, it } from 'vitest';
import { isKeepsyncError } from '../../src/model/index.js';
import { createSecretBox, generateSecretKey, parseSecretKey } from '../../src/net/index.js';

const key = new Uint8Array(32).fill(9);

function expectSecretInvalid(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    expect(isKeepsyncError(error) && error.code).toBe('SECRET_INVALID');
    return error as Error;
  }
  throw new Error('Expected a SECRET_INVALID error');
}

/** Flips one bit of the decoded payload at `index` (IV: 0-11, tag: 12-27, body: 28+). */
function flipByte(sealed: string, index: number): string {
  const [format, payload] = sealed.split(':');
  const raw = Buffer.from(payload!, 'base64');
  raw[index] = raw[index]! ^ 0x01;
  return `${format}:${raw.toString('base64')}`;
}

describe('createSecretBox', () => {
  it('opens what it sealed, for any text', () => {
    const box = createSecretBox(key);

    for (const value of ['', 'ntn_1234', 'ünïcødé ✓ 🙂', 'x'.repeat(10_000)]) {
      expect(box.open(box.seal(value, 'notion.token'), 'notion.token')).toBe(value);
    }
  });

  it('seals the same value differently each time, and never in plaintext', () => {
    const box = createSecretBox(key);

    const first = box.seal('same secret', 'name');
    const second = box.seal('same secret', 'name');

    expect(first).not.toBe(second);
    expect(first).not.toContain('same secret');
    expect(first.startsWith('v1:')).toBe(true);
  });

  it('detects a tampered IV, tag or body', () => {
    const box = createSecretBox(key);
    const sealed = box.seal('transfer 10 EUR', 'name');

    for (const index of [0, 11, 12, 27, 28, 30]) {
      const error = expectSecretInvalid(() => box.open(flipByte(sealed, index), 'name'));
      expect(error.message).toContain('wrong key or tampered value');
    }
  });

  it('refuses to open a value under another context than it was sealed with', () => {
    const box = createSecretBox(key);
    const sealed = box.seal('value', 'github.token');

    const error = expectSecretInvalid(() => box.open(sealed, 'notion.token'));

    expect(error.message).toContain('notion.token');
  });

  it('refuses to open a value sealed with another key', () => {
    const sealed = createSecretBox(key).seal('value', 'name');

    expectSecretInvalid(() => createSecretBox(new Uint8Array(32).fill(8)).open(sealed, 'name'));
  });

  it('refuses a value in an unknown format', () => {
    const box = createSecretBox(key);

    expectSecretInvalid(() => box.open('plaintext', 'name'));
    expectSecretInvalid(() => box.open(box.seal('v', 'name').replace('v1:', 'v2:'), 'name'));
  });

  it('refuses a key that is not 32 bytes', () => {
    const error = expectSecretInvalid(() => createSecretBox(new Uint8Array(16)));

    expect(error.message).toContain('got 16 bytes');
  });
});

describe('secret keys', () => {
  it('generates base64 keys of 32 bytes that parse back and work', () => {
    const text = generateSecretKey();
    const parsed = parseSecretKey(`${text}\n`, 'KEEPSYNC_SECRET_KEY');

    expect(parsed.byteLength).toBe(32);
    expect(generateSecretKey()).not.toBe(text);
    const box = createSecretBox(parsed);
    expect(box.open(box.seal('v', 'n'), 'n')).toBe('v');
  });

  it('names where a malformed key came from', () => {
    const error = expectSecretInvalid(() =>
      parseSecretKey(Buffer.alloc(31).toString('base64'), '/etc/keepsync.key'),
    );

    expect(error.message).toContain('/etc/keepsync.key');
    expect(error.message).toContain('got 31 bytes');
  });
});
