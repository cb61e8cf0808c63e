import { describe, expect, it } from 'vitest';
import { fileNameForKey } from '../../../src/connectors/files/index.js';

describe('fileNameForKey', () => {
  it('keeps keys made of letters, digits, dots, dashes and underscores as they are', () => {
    expect(fileNameForKey('repo-1.v2_final', 'yaml')).toBe('repo-1.v2_final.yaml');
    expect(fileNameForKey('A1', 'json')).toBe('A1.json');
  });

  it('percent-encodes every other character, the percent sign included', () => {
    expect(fileNameForKey('acme/repo 1', 'yaml')).toBe('acme%2Frepo%201.yaml');
    expect(fileNameForKey('100%', 'yaml')).toBe('100%25.yaml');
    expect(fileNameForKey('Zürich', 'yaml')).toBe('Z%C3%BCrich.yaml');
    expect(fileNameForKey('a:b\\c', 'yaml')).toBe('a%3Ab%5Cc.yaml');
  });

  it('gives distinct keys distinct names even when one looks encoded', () => {
    const keys = ['a/b', 'a%2Fb', 'a_b', 'a-b', 'a.b', 'A/B', '.', '..', '%2E'];
    const names = keys.map((key) => fileNameForKey(key, 'yaml'));
    expect(new Set(names).size).toBe(keys.length);
  });

  it('never produces a hidden file or a path segment', () => {
    expect(fileNameForKey('.env', 'yaml')).toBe('%2Eenv.yaml');
    expect(fileNameForKey('..', 'yaml')).toBe('%2E..yaml');
    expect(fileNameForKey('../../etc/passwd', 'yaml')).not.toContain('/');
  });

  it('keeps very long keys under the file-name limit and still distinct', () => {
    const long = 'x'.repeat(400);
    const first = fileNameForKey(`${long}1`, 'yaml');
    const second = fileNameForKey(`${long}2`, 'yaml');
    expect(Buffer.byteLength(first)).toBeLessThanOrEqual(255);
    expect(first.startsWith('x'.repeat(100))).toBe(true);
    expect(first).not.toBe(second);
    expect(fileNameForKey(`${long}1`, 'yaml')).toBe(first);
  });
});
