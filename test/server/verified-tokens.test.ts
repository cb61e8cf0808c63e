import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from '../../src/server/verified-tokens.js';

const now = 1_000_000;
const user = (sub: string) => ({ id: sub, scope: 'tenant', claims: { sub } });
const remember = (tokens: VerifiedTokens, token: string) =>
  tokens.set(token, user(token), now, undefined, 0);

/** Fills the cache to its bound of 1,000 tokens: t0 is the oldest. */
function full(): VerifiedTokens {
  const tokens = new VerifiedTokens();
  for (let i = 0; i < 1000; i++) remember(tokens, `t${i}`);
  return tokens;
}

describe('VerifiedTokens', () => {
  it('evicts the least recently used token, not the first remembered', () => {
    const tokens = full();
    expect(tokens.get('t0', now)?.id).toBe('t0');
    remember(tokens, 'new');
    expect(tokens.get('t0', now)?.id).toBe('t0');
    expect(tokens.get('t1', now)).toBeUndefined();
    expect(tokens.get('new', now)?.id).toBe('new');
  });

  it('remembering a known token again evicts no other token', () => {
    const tokens = full();
    remember(tokens, 't500');
    for (let i = 0; i < 1000; i++) expect(tokens.get(`t${i}`, now)?.id).toBe(`t${i}`);
  });

  it('forgets a token at its expiry and hands out copies of the claims', () => {
    const tokens = new VerifiedTokens();
    tokens.set('short', user('short'), now, now / 1000 + 5, 0);
    const first = tokens.get('short', now);
    if (!first) throw new Error('expected the token to be remembered');
    (first.claims as Record<string, unknown>).sub = 'changed';
    expect(tokens.get('short', now + 4_999)?.claims.sub).toBe('short');
    expect(tokens.get('short', now + 5_000)).toBeUndefined();
  });
});
