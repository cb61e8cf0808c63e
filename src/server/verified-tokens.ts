import { sha256 } from '../net/index.js';
import type { SyncUser } from './options.js';

/** At most this many tokens are remembered (the least recently used goes first). */
const MAX_TOKENS = 1000;
/**
 * A remembered token is verified again after this long at the latest. A JWKS key set is
 * already cached by jose for longer (10 minutes), so a removed key is not honoured any longer
 * because of this cache.
 */
const MAX_AGE_MS = 60_000;

/**
 * Tokens whose signature and claims were verified, so a client's every request does not
 * verify the same token again (an HMAC or RSA check, and a hop to the crypto thread pool, per
 * request). Kept by a digest of the token, until its `exp` (with the clock tolerance) or
 * MAX_AGE_MS, whichever comes first; a token past that is verified afresh, so expiry answers
 * exactly as before. Refused tokens are never remembered.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, { user: SyncUser; untilMs: number }>();

  get(token: string, nowMs: number): SyncUser | undefined {
    const key = sha256(token);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (nowMs >= entry.untilMs) return undefined;
    // Re-inserted, so the Map's order is the order of last use and eviction takes the coldest.
    this.#entries.set(key, entry);
    // A copy, as verifying would give: a caller changing its user changes no later request's.
    return { ...entry.user, claims: structuredClone(entry.user.claims) };
  }

  /** `expSec`: the token's `exp` claim; `toleranceSec`: the clock tolerance it was checked with. */
  set(token: string, user: SyncUser, nowMs: number, expSec: unknown, toleranceSec: number): void {
    let untilMs = nowMs + MAX_AGE_MS;
    // jose refuses once floor(now / 1000) - tolerance >= exp: this bound is never later.
    if (typeof expSec === 'number') untilMs = Math.min(untilMs, (expSec + toleranceSec) * 1000);
    if (untilMs <= nowMs) return;
    const key = sha256(token);
    // A token remembered again replaces its own entry; only a new one makes room.
    if (!this.#entries.delete(key) && this.#entries.size >= MAX_TOKENS) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(key, {
      user: { ...user, claims: structuredClone(user.claims) },
      untilMs,
    });
  }
}
